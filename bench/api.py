"""API benchmark: latency and SQL queries of /api/v1/ endpoints at 1,000 and 10,000
repositories, anonymous and with a personal access token.

    .venv/bin/python bench/api.py [--sizes 1000 10000] [--requests 60]
    .venv/bin/python bench/api.py --quick      # 500 and 2,500 repositories: it runs

Seeds the hub like bench/pages.py (its own database, BENCH_DATABASE_URL, default
.../hub_bench_api, dropped and recreated), then asks each endpoint through Django's test
client in-process: median and p95 latency and the number of queries of one request. The
same numbers at both sizes mean the queries do not grow with the data.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from common import arguments, database_url

# bench/pages.py configures Django when imported: on this benchmark's database.
os.environ["BENCH_DATABASE_URL"] = database_url("hub_bench_api")
os.environ["HUB_TOKEN_REQUESTS_PER_MINUTE"] = str(10**8)  # the API, not the limiter

import argparse
import time

import pages
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tokens import token_create
from repos.models import Repository


def endpoints() -> dict[str, str]:
    repo = Repository.objects.filter(visibility="public").order_by("id").select_related("owner")[0]
    base = f"/api/v1/repos/{repo.full_name}"
    return {
        "list, first page": "/api/v1/repos",
        "search, one word": "/api/v1/repos?q=volatility",
        "filtered list": "/api/v1/repos?task=defi-forecasting&tag=ethereum&sort=name",
        "list, page 20 of 100 a page": "/api/v1/repos?per_page=100&page=20",
        "repository": base,
        "releases": f"{base}/releases",
        "files of the latest release": f"{base}/releases/latest/files",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=60)
    # Quick: page 20 of 100 a page exists at the second size.
    args = arguments(parser, sizes=[500, 2500], requests=3)

    pages.recreate_database(pages.BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    visitor = Client()
    member = User.objects.create(username="bench-member")
    _token, raw = token_create(user=member, name="bench", scope="read")
    scripted = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    print("| N | endpoint | caller | median ms | p95 ms | queries |")
    print("|---:|---|---|---:|---:|---:|")
    for size in sorted(args.sizes):
        started = time.perf_counter()
        pages.seed(size)
        print(f"<!-- seeded {size} repositories in {time.perf_counter() - started:.1f} s -->")
        for label, url in endpoints().items():
            for who, client in (("anonymous", visitor), ("token", scripted)):
                r = pages.measure(client, url, args.requests)
                print(
                    f"| {size:,} | {label} | {who} | {r['median']:.1f} | {r['p95']:.1f} "
                    f"| {r['queries']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
