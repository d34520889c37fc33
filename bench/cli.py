"""CLI benchmark: `hub upload` against gunicorn and a Celery worker, end to end.

    .venv/bin/python bench/cli.py [--mib 1024] [--files 1000]
    .venv/bin/python bench/cli.py --quick      # a file of two chunks and 20 files: it runs

(a) one large file (random bytes) through the CLI: hashing, plan, chunks over a local
    socket to gunicorn (2 workers), the hub's verification; as MiB/s and as a ratio to
    `cp` + sha256 + Blob ID of the same file, measured in the same run;
(b) 1,000 small files (1 KiB to 1 MiB, random sizes) through the CLI, against the same bytes
    as one file: the ratio of the two times.
Its own PostgreSQL database (BENCH_DATABASE_URL, default .../hub_bench_cli, dropped and
recreated), Redis database 8 (BENCH_REDIS_URL) as the broker, a temporary media folder.
Needs the CLI installed in .venv (scripts/test does it: `pip install ./cli`).
"""

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, arguments, configure, free_port, gunicorn, recreate_database, work_folder

WORK = work_folder("cli")
MEDIA = WORK / "media"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
BENCH_DB = configure(
    "hub_bench_cli",
    REDIS_URL=REDIS,
    MEDIA_ROOT=str(MEDIA),
    DATA_DIR=str(WORK / "data"),
    HUB_TOKEN_REQUESTS_PER_MINUTE=str(10**8),
)

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.tokens import token_create  # noqa: E402
from hub.blobid import BlobIdHasher  # noqa: E402
from releases.models import ReleaseFile  # noqa: E402
from releases.services.releases import repository_create  # noqa: E402
from repos.models import License, Task  # noqa: E402

MIB = 1024 * 1024
HUB = str(ROOT / ".venv/bin/hub")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def write_random(path: Path, size: int, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        left = size
        while left:
            piece = min(left, 4 * MIB)
            fh.write(rng.randbytes(piece))
            left -= piece


def baseline(path: Path) -> float:
    """`cp` of the file, then its sha256, then its Blob ID: what any upload must at least do."""
    copy = timed(lambda: shutil.copyfile(path, WORK / "copy.bin"))
    (WORK / "copy.bin").unlink()

    def digest(hasher) -> None:
        with open(path, "rb") as fh:
            while piece := fh.read(MIB):
                hasher.update(piece)

    sha = timed(lambda: digest(hashlib.sha256()))
    cid = BlobIdHasher(with_sha256=False)
    return copy + sha + timed(lambda: (digest(cid), cid.blob_id()))


def hub(env: dict, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([HUB, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=1000)
    # Quick: a file of two chunks (HUB_UPLOAD_CHUNK_SIZE, 16 MiB by default), 20 small files.
    args = arguments(parser, mib=2 * settings.HUB_UPLOAD_CHUNK_SIZE // MIB, files=20)
    if not Path(HUB).exists():
        sys.exit("bench/cli.py: the CLI is not installed; run `.venv/bin/pip install ./cli`")

    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    owner = User.objects.create(username="bench")
    _token, raw = token_create(user=owner, name="bench", scope="write")
    task, license_ = Task.objects.get(slug="other"), License.objects.get(spdx_id="MIT")
    for name in ("large", "many", "one"):
        repository_create(owner=owner, name=name, task=task, license=license_)

    port = free_port()
    env = os.environ.copy()
    servers = [
        gunicorn(port, env=env),
        subprocess.Popen(
            [str(ROOT / ".venv/bin/celery"), "-A", "hub", "worker", "--loglevel=WARNING",
             "--concurrency=2", "-Q", "celery"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    cli_env = {**env, "HUB_URL": f"http://127.0.0.1:{port}", "HUB_TOKEN": raw,
               "HOME": str(WORK / "home")}  # fmt: skip
    try:
        for _ in range(100):
            try:
                subprocess.run([HUB, "whoami"], env=cli_env, check=True, capture_output=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.3)
        rng = random.Random(7)

        large = WORK / "large" / "weights.bin"
        write_random(large, args.mib * MIB, rng)
        os.sync()
        base = baseline(large)
        took = hub(cli_env, "upload", "-q", "bench/large", str(large))
        assert ReleaseFile.objects.filter(release__repository__name="large").count() == 1
        print(f"(a) `hub upload` of {args.mib:,} MiB (hash, plan, chunks to gunicorn, "
              "verification)\n")  # fmt: skip
        print("| step | seconds | MiB/s |\n|---|---:|---:|")
        print(f"| cp + sha256 + Blob ID (baseline) | {base:.2f} | {args.mib / base:.0f} |")
        print(f"| hub upload, end to end | {took:.2f} | {args.mib / took:.0f} |")
        print(f"\nratio to the baseline: **{base / took:.2f}** (target at least 0.5)\n")
        large.unlink()

        folder = WORK / "many"
        sizes = [rng.randint(1024, MIB) for _ in range(args.files)]
        for n, size in enumerate(sizes):
            write_random(folder / f"part-{n // 100:02d}" / f"file-{n:04d}.bin", size, rng)
        single = WORK / "one" / "all.bin"
        write_random(single, sum(sizes), rng)
        many = hub(cli_env, "upload", "-q", "bench/many", str(folder))
        one = hub(cli_env, "upload", "-q", "bench/one", str(single))
        stored = ReleaseFile.objects.filter(release__repository__name="many").count()
        assert stored == args.files, stored
        total = sum(sizes) / MIB
        print(f"(b) {args.files:,} files of 1 KiB–1 MiB ({total:,.0f} MiB) against one file of "
              "the same size\n")  # fmt: skip
        print("| upload | seconds |\n|---|---:|")
        print(f"| {args.files:,} files | {many:.1f} |\n| one file | {one:.1f} |")
        print(f"\nratio: **{many / one:.2f}** (target at most 3)")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
