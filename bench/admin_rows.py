"""Admin list rows: Django's rendering (`items_for_result`) against `hub.admin_rows`, side by
side on the same pages of the same database.

    .venv/bin/python bench/pages.py --repos 1000000 --reuse --only admin   # seeds, once
    .venv/bin/python bench/admin_rows.py
    .venv/bin/python bench/admin_rows.py --quick   # seeds 1,000 repositories itself: it runs

Uses the database `bench/pages.py` seeded (BENCH_DATABASE_URL, default .../hub_bench) and its
superuser and moderator; with `--seed N` (the quick mode's way) it first makes that database
anew with N repositories, seeded as bench/pages.py seeds them. Each list page (50 rows) is
requested in rounds that alternate the two renderings, through Django's test client
in-process with production settings; prints the median and p95 of each and the ratio of the
medians.
"""

import argparse
import logging
import statistics
import time

import pages  # configures Django as this benchmark needs it: its database, no page cache
from common import arguments, percentile, recreate_database
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import User
from moderation.models import Report
from repos.models import Repository

LISTS = {
    "repositories": ("/admin/repos/repository/", Repository),
    "open reports": ("/admin/moderation/report/?status__exact=open", Report),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=15, help="a rendering, a round")
    parser.add_argument("--seed", type=int, metavar="N", help="first make the database anew, "
                        "with N repositories seeded as bench/pages.py does")  # fmt: skip
    args = arguments(parser, rounds=1, requests=2, seed=1000)
    logging.getLogger("axes").setLevel(logging.WARNING)
    if args.seed:
        recreate_database(pages.BENCH_DB)
        connection.close()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        pages.clients()  # the users: the member who owns repositories, the superuser, moderator
        pages.seed(args.seed)
    print("| list | visitor | Django's rows, median/p95 ms | hub.admin_rows | ratio |")
    print("|---|---|---:|---:|---:|")
    for who in ("bench-root", "bench-moderator"):
        client = Client()
        client.force_login(User.objects.get(username=who))
        for label, (url, model) in LISTS.items():
            model_admin = admin.site._registry[model]
            quick = model_admin.change_list_template
            timings = {None: [], quick: []}
            for _ in range(3):
                assert client.get(url).status_code == 200, url
            try:
                for _ in range(args.rounds):
                    for template, found in timings.items():
                        model_admin.change_list_template = template
                        for _ in range(args.requests):
                            start = time.perf_counter()
                            client.get(url)
                            found.append((time.perf_counter() - start) * 1000)
            finally:
                model_admin.change_list_template = quick
            django_rows, ours = (sorted(t) for t in timings.values())
            cells = [
                f"{statistics.median(t):.1f}/{percentile(t, 0.95):.1f}" for t in (django_rows, ours)
            ]
            ratio = statistics.median(ours) / statistics.median(django_rows)
            print(f"| {label} | {who} | {cells[0]} | {cells[1]} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
