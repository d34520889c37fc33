"""A release as one zip against its files downloaded one by one: throughput and the memory
of the web process.

    .venv/bin/python bench/zip.py [--gib 2] [--files 4]
    .venv/bin/python bench/zip.py --quick      # 2 files of 4 MiB, once: it runs

Serves the hub under gunicorn (one sync worker, production settings, local storage) on a
PostgreSQL database of its own (BENCH_DATABASE_URL, default hub_bench_zip, dropped and made
again), makes a release of `--files` files of `--gib` GiB in all, then downloads over HTTP
(a) each file (`resolve/v1.00/<path>`, served with sendfile where the server has it) and
(b) the release's zip (`releases/v1.00/zip`, streamed by zipstream-ng), and prints MB/s, the
ratio (b)/(a) (target ≥ 0.8) and the peak RSS of the worker during each (flat: no growth with
the size of the release).
"""

import argparse
import hashlib
import http.client
import os
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import (
    ROOT,
    arguments,
    configure,
    free_port,
    gunicorn,
    recreate_database,
    wait_until_answering,
)

MiB = 1024 * 1024
DATA = ROOT / "data" / "bench_zip"


def make_release(owner_name: str, gib: float, files: int) -> list[str]:
    """A repository `owner/big` whose v1.00 holds `files` files of `gib` GiB in all, written
    straight into the storage with their Blob rows (sha256 computed, Blob ID a placeholder:
    the zip does not read it)."""
    from django.core.files.storage import default_storage

    from accounts.models import User
    from releases.models import Blob, ReleaseFile, blob_storage_key
    from releases.services.releases import repository_create
    from repos.models import License, Task

    owner = User.objects.create_user(owner_name, password="bench-password-123")
    repo = repository_create(
        owner=owner, name="big", task=Task.objects.first(), license=License.objects.first()
    )
    each = max(1, int(gib * 1024) // files) * MiB  # whole MiB: the files are written by the MiB
    piece = os.urandom(MiB)
    paths = []
    for n in range(files):
        digest = hashlib.sha256()
        tmp = DATA / f"incoming-{n}"
        with open(tmp, "wb") as fh:
            for i in range(each // MiB):
                # Every MiB its own (so that no two files are the same blob).
                data = (n * 1_000_000 + i).to_bytes(8, "big") + piece[8:]
                digest.update(data)
                fh.write(data)
        sha = digest.hexdigest()
        target = default_storage.path(blob_storage_key(sha))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(tmp, target)
        blob = Blob.objects.create(sha256=sha, blob_id=f"bench-{sha[:32]}", size=each)
        path = f"weights/part-{n:02d}.bin"
        ReleaseFile.objects.create(release=repo.latest_release, path=path, blob=blob)
        paths.append(path)
    return paths


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def download(url: str, pid: int) -> tuple[int, float, float]:
    """(bytes, seconds, peak RSS of the worker in MiB) of one GET read to the end into one
    buffer (a client that costs little CPU: on a machine of few cores, the server's cost
    shows)."""
    peak = [rss_mib(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    size, started = 0, time.perf_counter()
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    conn.request("GET", parts.path)
    response = conn.getresponse()
    assert response.status == 200, response.status
    buffer = memoryview(bytearray(4 * MiB))
    while n := response.readinto(buffer):
        size += n
    seconds = time.perf_counter() - started
    conn.close()
    done.set()
    sampler.join()
    return size, seconds, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = arguments(parser, gib=8 / 1024, files=2, rounds=1)

    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    env = {"DATA_DIR": str(DATA), "MEDIA_ROOT": str(DATA / "media")}
    url = configure("hub_bench_zip", **env)
    recreate_database(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    paths = make_release("bench", args.gib, args.files)

    port = free_port()
    server = gunicorn(port, workers=1)
    try:
        base = f"http://127.0.0.1:{port}/bench/big"
        wait_until_answering(base + "/")
        pid = worker_pid(server.pid)
        idle = rss_mib(pid)
        plain, zipped = [], []
        for _ in range(args.rounds):
            total, seconds, peak_a = 0, 0.0, 0.0
            for path in paths:
                size, took, peak = download(f"{base}/resolve/v1.00/{path}", pid)
                total, seconds, peak_a = total + size, seconds + took, max(peak_a, peak)
            plain.append((total / seconds / 1e6, peak_a))
            size, took, peak_b = download(f"{base}/releases/v1.00/zip", pid)
            zipped.append((size / took / 1e6, peak_b))
        a = max(rate for rate, _ in plain)
        b = max(rate for rate, _ in zipped)
        print(f"release of {args.files} files, {total / MiB:,.0f} MiB in all; best of "
              f"{args.rounds}")  # fmt: skip
        print(f"(a) the files one by one:  {a:,.0f} MB/s, worker peak RSS "
              f"{max(p for _, p in plain):,.1f} MiB")  # fmt: skip
        print(f"(b) the release's zip:     {b:,.0f} MB/s, worker peak RSS "
              f"{max(p for _, p in zipped):,.1f} MiB")  # fmt: skip
        print(f"ratio (b)/(a): {b / a:.2f} (target ≥ 0.8); worker RSS when idle {idle:,.1f} MiB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":
    main()
