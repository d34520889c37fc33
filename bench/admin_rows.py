"""Admin list rows: Django's rendering (`items_for_result`) against `hub.admin_rows`, side by
side on the same pages of the same database.

    .venv/bin/python bench/pages.py --repos 1000000 --reuse --only admin   # seeds, once
    .venv/bin/python bench/admin_rows.py

Uses the database `bench/pages.py` seeded (BENCH_DATABASE_URL, default .../hub_bench) and its
superuser and moderator. Each list page (50 rows) is requested in rounds that alternate the
two renderings, through Django's test client in-process with production settings; prints the
median and p95 of each and the ratio of the medians.
"""

import argparse
import logging
import statistics
import time

from common import configure

configure("postgres://postgres@127.0.0.1:5432/hub_bench", HUB_PAGE_CACHE_SECONDS="0")

from django.contrib import admin  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from moderation.models import Report  # noqa: E402
from repos.models import Repository  # noqa: E402

LISTS = {
    "repositories": ("/admin/repos/repository/", Repository),
    "open reports": ("/admin/moderation/report/?status__exact=open", Report),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=15, help="a rendering, a round")
    args = parser.parse_args()
    logging.getLogger("axes").setLevel(logging.WARNING)
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
                f"{statistics.median(t):.1f}/{t[round(0.95 * len(t)) - 1]:.1f}"
                for t in (django_rows, ours)
            ]
            ratio = statistics.median(ours) / statistics.median(django_rows)
            print(f"| {label} | {who} | {cells[0]} | {cells[1]} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
