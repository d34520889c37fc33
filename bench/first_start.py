"""A fresh clone's first start: seconds from `bash scripts/run` in a new clone until the home
page answers, each step's share (the run command's log says when each began) and what it
installed. `--baseline REV` measures that commit the same way in the same run, for a ratio;
`--cold` empties pip's and npm's caches first, as on a new machine.

    .venv/bin/python bench/first_start.py --cold --baseline 32b8607 --runs 2
    .venv/bin/python bench/first_start.py --quick    # one run of HEAD (CI runs this)
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import time
from pathlib import Path

from common import ROOT, arguments, free_port, wait_until_answering, work_folder

STEP = re.compile(r"==>\S* \[(\d+)s\] (.+)")


def size_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    out = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


def first_start(rev: str, *, cold: bool, folder: Path) -> dict:
    """Clone `rev` into `folder`, start the run command there and time its first answer."""
    clone = folder / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", rev], check=True)
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "ANVIL_PORT": str(free_port()),
        "DATA_DIR": str(folder / "data"),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "VIRTUAL_ENV"):
        env.pop(name, None)  # the run command's own embedded defaults
    if cold:
        env.update(PIP_NO_CACHE_DIR="1", npm_config_cache=str(folder / "npm-cache"))
    log = folder / "run.log"
    started = time.perf_counter()
    with log.open("w") as out:
        run = subprocess.Popen(
            ["bash", "scripts/run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/", timeout=1200)
        seconds = time.perf_counter() - started
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
    steps = [(int(at), what) for at, what in STEP.findall(log.read_text())]
    return {
        "seconds": seconds,
        "steps": steps,
        "venv_mb": size_mb(clone / ".venv"),
        "node_mb": size_mb(clone / "node_modules"),
    }


def report(label: str, runs: list[dict]) -> float:
    median = statistics.median(r["seconds"] for r in runs)
    last = runs[-1]
    each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    print(f"\n{label}: first answer after {median:.1f} s (median of {len(runs)}: {each})")
    print(f"  installed: .venv {last['venv_mb']:.0f} MB, node_modules {last['node_mb']:.0f} MB")
    steps = last["steps"]
    if not steps:
        print("  (its run command does not say when each step began)")
    ends = [at for at, _what in steps[1:]] + [round(last["seconds"])] * bool(steps)
    for (at, what), end in zip(steps, ends, strict=True):
        print(f"  {end - at:4d} s  {what[:90]}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="the commit to start (default HEAD)")
    parser.add_argument("--baseline", help="a commit measured the same way, for a ratio")
    parser.add_argument("--cold", action="store_true", help="empty pip and npm caches")
    parser.add_argument("--runs", type=int, default=2, help="first starts of each commit")
    args = arguments(parser, runs=1)
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.rev],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    print(f"first start of a fresh clone ({'cold' if args.cold else 'warm'} pip and npm caches)")
    revs = [rev] + ([args.baseline] if args.baseline else [])
    medians = {}
    for each in revs:
        runs = [
            first_start(each, cold=args.cold, folder=work_folder(f"first-start-{each}-{n}"))
            for n in range(args.runs)
        ]
        medians[each] = report(each, runs)
    if args.baseline:
        print(f"\nratio {rev} / {args.baseline}: {medians[rev] / medians[args.baseline]:.2f}")


if __name__ == "__main__":
    main()
