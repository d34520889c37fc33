"""The compare page of two releases: latency and SQL queries with 10, 100 and 1,000 files a
release, and the release page of the head (which checks its ONNX signatures against the
release before it, for the breaking-change warning), among 200,000 files of other releases.

    .venv/bin/python bench/compare.py [--sizes 10 100 1000] [--background-files 200000]
    .venv/bin/python bench/compare.py --quick      # 10 and 100 files among 2,000: it runs

Seeds in bulk into its own PostgreSQL database (BENCH_DATABASE_URL, default
.../hub_bench_compare, dropped and recreated): one public repository a size, with v1.00 and
v1.01 of N files each. From one to the next, 5% of the paths are removed, 5% added and 10%
changed; every 25th file is an ONNX model with a stored signature, every other model changes,
and one in three of those renames its input (breaking). Pages are requested through Django's test
client in-process with production settings, by an anonymous visitor; figures are over 30
requests after 3 warm-ups, the query count is that of one request.
"""

import argparse
import hashlib
import os
import statistics
import time

from common import arguments, configure, percentile, recreate_database

BENCH_DB = configure("hub_bench_compare")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from releases.compare import release_compare  # noqa: E402
from releases.models import Blob, OnnxStatus, Release, ReleaseFile  # noqa: E402
from releases.services.releases import release_create, repository_create  # noqa: E402
from repos.models import License, Task  # noqa: E402


def signature(input_name: str) -> dict:
    return {
        "inputs": [{"name": input_name, "type": "float", "shape": ["batch", 6]}],
        "outputs": [{"name": "probabilities", "type": "float", "shape": ["batch", 2]}],
        "opset": 17,
        "ir_version": 8,
        "producer": "bench",
        "nodes": 2,
        "parameters": 14,
    }


def files_of(n: int, head: bool) -> list[tuple[str, str, dict | None]]:
    """(path, content, signature) of a release of `n` files; the head differs as described."""
    out = []
    for i in range(n):
        onnx = i % 25 == 0
        path = f"shards/{i // 100:03d}/part-{i:05d}.{'onnx' if onnx else 'bin'}"
        if head and i % 20 == 1:
            continue  # removed
        changed = (head and i % 10 == 2) or (onnx and head and i % 50 == 0)
        content = f"{n}:{i}:{'head' if changed else 'base'}"
        sig = signature("candles" if changed and i % 75 == 0 else "features") if onnx else None
        out.append((path, content, sig))
    if head:
        out += [(f"added/{i:05d}.bin", f"{n}:added:{i}", None) for i in range(n // 20)]
    return out


def seed(owner: User, n: int) -> str:
    repo = repository_create(
        owner=owner,
        name=f"compare-{n}",
        description="A model.",
        task=Task.objects.first(),
        license=License.objects.first(),
        tags=[],
        visibility="public",
    )
    v100 = Release.objects.get(repository=repo, major=1, minor=0)
    v101 = release_create(repository=repo, bump="minor", notes="next")
    for release, head in ((v100, False), (v101, True)):
        wanted = files_of(n, head)
        blobs = []
        for _path, content, sig in wanted:
            digest = hashlib.sha256(content.encode()).hexdigest()
            blobs.append(
                Blob(
                    sha256=digest,
                    blob_id=f"bafk{digest[:50]}",
                    size=len(content) * 1000,
                    onnx_status=OnnxStatus.VALID if sig else OnnxStatus.UNCHECKED,
                    onnx_signature=sig,
                )
            )
        Blob.objects.bulk_create(blobs, ignore_conflicts=True)
        by_sha = dict(
            Blob.objects.filter(sha256__in=[b.sha256 for b in blobs]).values_list("sha256", "pk")
        )
        ReleaseFile.objects.bulk_create(
            [
                ReleaseFile(release=release, path=path, blob_id=by_sha[b.sha256])
                for (path, _, _), b in zip(wanted, blobs, strict=True)
            ]
        )
    return f"/{owner.username}/{repo.name}/"


def seed_background(owner: User, releases: int, files: int) -> None:
    """Other releases' files, so that the queries run on a table of a real hub's size."""
    repo = repository_create(
        owner=owner,
        name="background",
        description="Other files.",
        task=Task.objects.first(),
        license=License.objects.first(),
        tags=[],
        visibility="public",
    )
    for _ in range(releases - 1):
        release_create(repository=repo, bump="minor")
    blobs = [
        Blob(sha256=hashlib.sha256(f"bg{i}".encode()).hexdigest(), blob_id=f"bafkbg{i}", size=i)
        for i in range(files)
    ]
    Blob.objects.bulk_create(blobs, batch_size=5000)
    ids = list(Blob.objects.filter(blob_id__startswith="bafkbg").values_list("pk", flat=True))
    rows = [
        ReleaseFile(release=release, path=f"bg/{i}.bin", blob_id=ids[(i * 7 + n) % len(ids)])
        for n, release in enumerate(Release.objects.filter(repository=repo))
        for i in range(files // releases)
    ]
    ReleaseFile.objects.bulk_create(rows, batch_size=5000)


def measure(client: Client, url: str, requests: int) -> tuple[float, float, float, int]:
    """Median and p95 wall time, median CPU time of this process (the web side, without the
    database's: a figure that a busy machine disturbs less), and the queries of one request."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return (
        statistics.median(times),
        percentile(times, 0.95),
        statistics.median(cpu),
        len(ctx),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--background-files", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=30)
    args = arguments(parser, sizes=[10, 100], background_files=2000, requests=3)
    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench", "bench@example.com", "bench-password-123")
    seed_background(owner, releases=100, files=args.background_files)
    repos = {n: seed(owner, n) for n in args.sizes}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    print("| files a release | page | median ms | p95 ms | CPU ms (median) | queries |")
    print("|---:|---|---:|---:|---:|---:|")
    for n, base in repos.items():
        v100, v101 = Release.objects.filter(repository__name=f"compare-{n}").order_by("minor")
        comparison = release_compare(base=v100, head=v101)
        assert len(comparison.breaking) > 0, "the seed has breaking changes"
        pages = {
            f"compare v1.00...v1.01 ({len(comparison.added)} added, "
            f"{len(comparison.removed)} removed, {len(comparison.changed)} changed)": base
            + "compare/v1.00...v1.01",
            "release page v1.01 (breaking-change warning)": base + "releases/v1.01/",
        }
        for label, url in pages.items():
            median, p95, cpu, queries = measure(client, url, args.requests)
            print(f"| {n:,} | {label} | {median:.1f} | {p95:.1f} | {cpu:.1f} | {queries} |")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
