"""Upload throughput and memory: chunks through the HTTP API, then verification.

    .venv/bin/python bench/uploads.py                # a 256 MiB file, 8 MiB chunks
    .venv/bin/python bench/uploads.py --mib 1024

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default .../hub_bench_uploads, dropped
and recreated) and a temporary storage folder. Requests go through Django's test client in
this process; verification (sha256 + Blob ID while streaming the chunks into the blob), which
the worker does in production, is called in-process afterwards, so the figures are per core.
Peak memory is the growth of the process's peak RSS: it depends on the chunk size (the test
client holds a request body in memory), not on the file size.
"""

import argparse
import gc
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_bench_uploads"
)
MEDIA = tempfile.mkdtemp(prefix="hub-bench-media-")
os.environ.update(
    DJANGO_SETTINGS_MODULE="hub.settings",
    DEBUG="false",
    SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    HTTPS_ONLY="false",
    DATABASE_URL=BENCH_DB,
    ALLOWED_HOSTS="testserver",
    MEDIA_ROOT=MEDIA,
    DATA_DIR=tempfile.mkdtemp(prefix="hub-bench-data-"),  # the queued task is never consumed
)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from hub.blobid import BlobIdHasher  # noqa: E402
from releases.models import Upload  # noqa: E402
from releases.uploads import upload_verify  # noqa: E402
from repos.models import License, Task  # noqa: E402
from repos.services import repository_create  # noqa: E402


def create_database() -> None:
    import psycopg

    name = BENCH_DB.rsplit("/", 1)[1]
    with psycopg.connect(BENCH_DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of the file in MiB")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="measure peak Python heap per phase with tracemalloc (slower; no speed figures)",
    )
    args = parser.parse_args()
    size = args.mib * 1024 * 1024

    create_database()
    connection.close()
    call_command("migrate", verbosity=0)
    from accounts.models import User

    user = User.objects.create(username="bench")
    repository_create(
        owner=user,
        name="bench",
        task=Task.objects.first(),
        license=License.objects.first(),
    )
    client = Client()
    client.force_login(user)

    # The file: pseudo-random, produced chunk by chunk so the benchmark itself stays small.
    from django.conf import settings

    chunk = settings.HUB_UPLOAD_CHUNK_SIZE
    seed = hashlib.sha256(b"bench").digest() * (chunk // 32)

    def piece(index: int) -> bytes:
        start = index * chunk
        return seed[: max(0, min(chunk, size - start))]

    count = max(1, -(-size // chunk))
    digest = hashlib.sha256()
    for i in range(count):
        digest.update(piece(i))

    started = time.perf_counter()
    hasher = BlobIdHasher()
    for i in range(count):
        hasher.update(piece(i))
    hasher.blob_id()
    hash_seconds = time.perf_counter() - started

    import tracemalloc

    if args.trace_memory:
        tracemalloc.start()
    rss_before = rss_mib()
    body = {"path": "big.bin", "size": size, "sha256": digest.hexdigest()}
    state = client.post(
        "/api/repos/bench/bench/releases/v1.00/uploads",
        json.dumps(body),
        content_type="application/json",
    ).json()
    started = time.perf_counter()
    for i in range(count):
        response = client.put(
            f"{state['url']}/chunks/{i}", piece(i), content_type="application/octet-stream"
        )
        assert response.status_code == 200, response.content
        # The test client's request payloads sit in reference cycles: free them now, so that
        # the figure is the server's memory and not the garbage of this in-process client.
        del response
        gc.collect()
    transfer_seconds = time.perf_counter() - started
    transfer_peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else 0
    if args.trace_memory:
        tracemalloc.reset_peak()
    upload = Upload.objects.get(id=state["id"])
    started = time.perf_counter()
    upload_verify(upload=upload)
    verify_seconds = time.perf_counter() - started
    verify_peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else 0
    upload.refresh_from_db()
    assert upload.status == "done", upload.error

    mib = size / 1024 / 1024
    if args.trace_memory:
        print(f"| file | {mib:,.0f} MiB in {count} chunks of {chunk // 1024 // 1024} MiB |")
        print("|---|---:|")
        print(f"| peak Python heap, chunk transfer | {transfer_peak / 1024 / 1024:,.1f} MiB |")
        print(f"| peak Python heap, verification | {verify_peak / 1024 / 1024:,.1f} MiB |")
        return
    print(f"| file | {mib:,.0f} MiB in {count} chunks of {chunk // 1024 // 1024} MiB |")
    print("|---|---:|")
    print(f"| Blob ID + sha256 hashing alone | {mib / hash_seconds:,.0f} MiB/s |")
    print(f"| chunk transfer through the API (store) | {mib / transfer_seconds:,.0f} MiB/s |")
    print(f"| verification (hash + assemble the blob) | {mib / verify_seconds:,.0f} MiB/s |")
    print(f"| end to end (transfer + verification) | "
          f"{mib / (transfer_seconds + verify_seconds):,.0f} MiB/s |")  # fmt: skip
    print(f"| peak RSS growth during upload and verification | {rss_mib() - rss_before:,.0f} MiB |")


if __name__ == "__main__":
    main()
