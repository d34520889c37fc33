"""The folder tree of a release: latency and query counts of its pages at 10, 100 and 1,000
files (the most a release holds by default).

    .venv/bin/python bench/tree.py                 # 10, 100, 1000 files
    .venv/bin/python bench/tree.py --files 1000 --rounds 200
    .venv/bin/python bench/tree.py --quick           # 10 and 30 files: it runs

Seeds, on a PostgreSQL database of its own (BENCH_DATABASE_URL, default hub_bench_tree,
dropped and made again), one repository per size whose v1.00 holds that many files in nested
folders (`shard-<a>/layer-<b>/part-<n>.bin`, ten shards of seven layers, plus a README and a
config at the top), rows written as the services would (the pages read no stored bytes). Then
requests through Django's test client, in-process, with production settings and the page
cache off: the release page (the top of the tree), a folder (`shard-0`, about a tenth of the
files under it), a folder of files (`shard-0/layer-0`), the repository page, and the worst
case of a page, a release with every file at the top (a row each), as an
anonymous visitor and as the owner (who also gets the uploader and delete links). Prints the
median and p95 latency and the number of SQL queries of each page; the target is under 50 ms
median at 1,000 files with the same number of queries at every size.
"""

import argparse
import statistics
import time

from common import arguments, configure, percentile, recreate_database

BENCH_DB = configure("hub_bench_tree", HUB_PAGE_CACHE_SECONDS="0")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from releases.models import Blob, ReleaseFile  # noqa: E402
from releases.services.releases import repository_create  # noqa: E402
from repos.models import License, Task  # noqa: E402


def seed(owner: User, files: int, *, flat: bool = False) -> str:
    """A repository whose v1.00 holds `files` files in nested folders (or all at the top);
    returns its URL."""
    repo = repository_create(
        owner=owner,
        name=f"{'flat' if flat else 'tree'}-{files}",
        task=Task.objects.first(),
        license=License.objects.first(),
    )
    paths = ["README.md", "config.json"] + [
        f"part-{n:05d}.bin" if flat else f"shard-{n % 10}/layer-{n % 7}/part-{n:05d}.bin"
        for n in range(files - 2)
    ]
    tag = f"{files:07x}{int(flat)}"
    blobs = Blob.objects.bulk_create(
        Blob(sha256=f"{tag}{n:056x}", blob_id=f"bafkrei-bench-{tag}-{n}", size=1000 + n)
        for n in range(len(paths))
    )
    ReleaseFile.objects.bulk_create(
        ReleaseFile(release=repo.latest_release, path=path, blob=blob, uploaded_by=owner)
        for path, blob in zip(paths, blobs, strict=True)
    )
    return repo.get_absolute_url()


def measure(client: Client, url: str, rounds: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries) of GET `url`, after one warm-up request."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the next request empties the log it reads
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), percentile(times, 0.95), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--rounds", type=int, default=100)
    args = arguments(parser, files=[10, 30], rounds=3)

    recreate_database(BENCH_DB)
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench", password="bench-password-123")
    visitors = {"anonymous": Client(), "owner": Client()}
    visitors["owner"].force_login(owner)

    print(
        f"{'files':>6}  {'page':<26} {'visitor':<10} {'median ms':>9} {'p95 ms':>8} {'queries':>7}"
    )
    for files in args.files:
        base = seed(owner, files)
        pages = {
            "release (top of the tree)": f"{base}releases/v1.00/",
            "folder shard-0": f"{base}releases/v1.00/tree/shard-0",
            "folder shard-0/layer-0": f"{base}releases/v1.00/tree/shard-0/layer-0",
            "repository": base,
        }
        # The worst case of a page: every file in one folder, a row each.
        pages["release, all files at the top"] = seed(owner, files, flat=True) + "releases/v1.00/"
        for page, url in pages.items():
            for who, client in visitors.items():
                median, p95, queries = measure(client, url, args.rounds)
                print(f"{files:>6}  {page:<30} {who:<10} {median:>9.1f} {p95:>8.1f} {queries:>7}")


if __name__ == "__main__":
    main()
