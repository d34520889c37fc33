"""Clients benchmark: huggingface_hub's `snapshot_download` and an IPFS CAR against curl.

    .venv/bin/python bench/clients.py [--mib 1024] [--files 4] [--rounds 3]
    .venv/bin/python bench/clients.py --quick      # 2 files of 4 MiB, one round: it runs

(a) `snapshot_download` (the real huggingface_hub from .venv-hf, in a subprocess, a fresh
    cache each round) of a repository of 4 files of 256 MiB (random bytes), against curl of
    the same files from `/resolve/` (one after another, and all at once) in the same round;
(b) a CAR of a 1 GiB file (`/ipfs/<cid>?format=car`) against the `/resolve/` download of the
    same file, both with curl to /dev/null;
(c) the resident memory of the gunicorn worker processes before, during and after (a) and (b),
    sampled from /proc every 50 ms.
gunicorn (2 workers) over a local socket, production settings, local storage in a temporary
folder; its own PostgreSQL database (BENCH_DATABASE_URL, default .../hub_bench_clients,
dropped and recreated) and Redis database 9 (BENCH_REDIS_URL) as the cache. Needs .venv-hf
(scripts/test makes it). Figures are the median of the rounds.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import (
    ROOT,
    arguments,
    configure,
    free_port,
    gunicorn,
    recreate_database,
    wait_until_answering,
    work_folder,
)

WORK = work_folder("clients")
MEDIA = WORK / "media"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
BENCH_DB = configure(
    "hub_bench_clients",
    REDIS_URL=REDIS,
    MEDIA_ROOT=str(MEDIA),
    DATA_DIR=str(WORK / "data"),
)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from releases.services.files import file_add_content  # noqa: E402
from releases.services.releases import repository_create  # noqa: E402
from repos.models import License, Task  # noqa: E402

MIB = 1024 * 1024
HF_PYTHON = ROOT / ".venv-hf" / "bin" / "python"
SNAPSHOT = """
import json, sys, time
from huggingface_hub import snapshot_download
started = time.perf_counter()
path = snapshot_download(sys.argv[1], revision="main")
print(json.dumps({"seconds": time.perf_counter() - started, "path": path}))
"""
# What the client's own HTTP stack reaches on the same files: its session (httpx) streaming each
# file into a file in pieces of its download size, as its `http_get` does, without the rest.
HTTP_ALONE = """
import json, sys, time
from pathlib import Path
from huggingface_hub import constants
from huggingface_hub.utils import get_session
session = get_session()
started = time.perf_counter()
for n, url in enumerate(sys.argv[2:]):
    with session.stream("GET", url) as response, open(Path(sys.argv[1]) / str(n), "wb") as out:
        for piece in response.iter_bytes(chunk_size=constants.DOWNLOAD_CHUNK_SIZE):
            out.write(piece)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass  # the process ended meanwhile
    return 0.0


class Memory:
    """The RSS of each gunicorn worker, sampled in a thread; `mark(label)` notes the present."""

    def __init__(self, master: int):
        self.master = master
        self.peak: dict[int, float] = {}
        self.marks: list[tuple[str, dict[int, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def workers(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[1]) == self.master:  # its parent
                found.append(int(stat.parent.name))
        return found

    def now(self) -> dict[int, float]:
        return {pid: rss_mib(pid) for pid in self.workers()}

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            for pid, rss in self.now().items():
                self.peak[pid] = max(self.peak.get(pid, 0.0), rss)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def mark(self, label: str) -> None:
        self.marks.append((label, self.now()))


def curl(*urls: str, parallel: bool = False, out: Path | None = None, quiet=False) -> float:
    """Seconds for curl to fetch `urls` (into files in `out`, or to /dev/null)."""
    args = ["curl", "-sSf", "--no-progress-meter", "--noproxy", "*"]
    args += ["--parallel"] if parallel else []
    for n, url in enumerate(urls):
        args += [url, "-o", str(out / f"{n}.bin") if out else "/dev/null"]
    started = time.perf_counter()
    subprocess.run(args, check=True, stderr=subprocess.DEVNULL if quiet else None)
    return time.perf_counter() - started


def hf_python(base: str, home: Path, script: str, *args: str) -> float:
    """Seconds the client's process reports for `script` (its own timing, not its start-up)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HF_", "HUGGINGFACE_"))}  # fmt: skip
    env.update(HF_ENDPOINT=base, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1", NO_PROXY="127.0.0.1")  # fmt: skip
    done = subprocess.run([str(HF_PYTHON), "-c", script, *args], env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.splitlines()[-1])["seconds"]


def seed(files: int, file_mib: int, car_mib: int) -> tuple[list[str], str, str]:
    """The repositories: bench/snapshot (`files` files of `file_mib`), bench/single (one file
    of `car_mib`); returns the snapshot's paths, the single file's path and its Blob ID."""
    owner = User.objects.create(username="bench")
    task, license_ = Task.objects.get(slug="other"), License.objects.get(spdx_id="MIT")
    snap = repository_create(owner=owner, name="snapshot", task=task, license=license_)
    paths = []
    for n in range(files):
        path = f"shards/model-{n + 1:05d}-of-{files:05d}.safetensors"
        file_add_content(release=snap.latest_release, path=path,
                         data=os.urandom(file_mib * MIB), user=owner)  # fmt: skip
        paths.append(path)
    single = repository_create(owner=owner, name="single", task=task, license=license_)
    rf = file_add_content(release=single.latest_release, path="weights.bin",
                          data=os.urandom(car_mib * MIB), user=owner)  # fmt: skip
    return paths, rf.path, rf.blob.blob_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="size of each repository")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = arguments(parser, mib=8, files=2, rounds=1)
    if not HF_PYTHON.exists():
        sys.exit("bench/clients.py: .venv-hf is missing; run scripts/test once")

    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    started = time.perf_counter()
    paths, single, cid = seed(args.files, args.mib // args.files, args.mib)
    print(f"<!-- seeded {args.mib * 2:,} MiB in {time.perf_counter() - started:.1f} s -->\n")
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn(port)
    try:
        wait_until_answering(f"{base}/bench/single")
        memory = Memory(server.pid)
        for _ in range(4):  # both workers have answered every kind of request once
            curl(f"{base}/bench/snapshot/resolve/main/{paths[0]}", f"{base}/ipfs/{cid}?format=car")
        memory.mark("before (warmed up)")
        memory.start()
        resolve_urls = [f"{base}/bench/snapshot/resolve/main/{path}" for path in paths]
        rows = {key: [] for key in ("snapshot", "http", "curl", "curl_parallel", "car", "resolve")}
        out, home = WORK / "out", WORK / "hf"
        for _ in range(args.rounds):
            for key, fetch in (
                ("curl", lambda: curl(*resolve_urls, out=out)),
                ("curl_parallel", lambda: curl(*resolve_urls, out=out, parallel=True)),
                ("snapshot", lambda: hf_python(base, home, SNAPSHOT, "bench/snapshot")),
                ("http", lambda: hf_python(base, home, HTTP_ALONE, str(out), *resolve_urls)),
            ):
                out.mkdir()
                home.mkdir()
                rows[key].append(fetch())
                shutil.rmtree(out)
                shutil.rmtree(home)
        memory.mark("after snapshot_download and curl")
        for _ in range(args.rounds):
            rows["resolve"].append(curl(f"{base}/bench/single/resolve/main/{single}"))
            rows["car"].append(curl(f"{base}/ipfs/{cid}?format=car"))
        memory.mark("after CARs and /resolve")
        memory.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)

    median = {key: statistics.median(values) for key, values in rows.items()}
    size = args.mib
    print(f"(a) `snapshot_download` of a repository of {args.files} files, {size:,} MiB in all, "
          f"against curl of the same files (median of {args.rounds} rounds)\n")  # fmt: skip
    print("| client | seconds | MiB/s | each round (s) |\n|---|---:|---:|---|")
    for key, label in (("curl", "curl, one file after another"),
                       ("curl_parallel", f"curl --parallel ({args.files} at once)"),
                       ("snapshot", "huggingface_hub snapshot_download"),
                       ("http", "its HTTP stack alone, one file after another")):  # fmt: skip
        each = ", ".join(f"{value:.2f}" for value in rows[key])
        print(f"| {label} | {median[key]:.2f} | {size / median[key]:,.0f} | {each} |")
    fastest = min(median["curl"], median["curl_parallel"])
    print(f"\nratio to the faster curl: **{fastest / median['snapshot']:.2f}** "
          "(target at least 0.8)\n")  # fmt: skip
    print(f"(b) a CAR of a {size:,} MiB file against its `/resolve/` download (curl to "
          f"/dev/null, median of {args.rounds})\n")  # fmt: skip
    print("| download | seconds | MiB/s | each round (s) |\n|---|---:|---:|---|")
    for key, label in (("resolve", "/resolve/main/weights.bin"),
                       ("car", "/ipfs/<cid>?format=car")):  # fmt: skip
        each = ", ".join(f"{value:.2f}" for value in rows[key])
        print(f"| {label} | {median[key]:.2f} | {size / median[key]:,.0f} | {each} |")
    print(f"\nratio to /resolve: **{median['resolve'] / median['car']:.2f}** "
          "(target at least 0.8)\n")  # fmt: skip
    print("(c) resident memory of the gunicorn workers (MiB)\n")
    pids = sorted(memory.peak)
    print("| when | " + " | ".join(f"worker {n + 1}" for n in range(len(pids))) + " |")
    print("|---|" + "---:|" * len(pids))
    marks = [memory.marks[0], ("peak while serving", memory.peak), *memory.marks[1:]]
    for label, values in marks:
        print(f"| {label} | " + " | ".join(f"{values.get(pid, 0):.1f}" for pid in pids) + " |")
    before, after = memory.marks[0][1], memory.marks[-1][1]
    growth = max(after.get(pid, 0) - before.get(pid, 0) for pid in pids)
    peak = max(memory.peak[pid] - before.get(pid, 0) for pid in pids)
    print(f"\npeak above the warmed-up size: **{peak:.1f} MiB**; growth from before to after: "
          f"**{growth:.1f} MiB** (per worker, the largest)")  # fmt: skip


if __name__ == "__main__":
    main()
