"""Page latency and query counts of the browse, search and repository pages.

Seeds N repositories (each with 3 releases and 3-5 tags, a tenth of them private) into a
PostgreSQL database of its own, then requests each page through Django's test client:
median and p95 latency over repeated requests, and the number of SQL queries per page.

    .venv/bin/python bench/pages.py                   # N = 1,000 and 10,000
    .venv/bin/python bench/pages.py --sizes 1000 --requests 30

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hub_bench) is dropped and
recreated: never point it at real data.
"""

import argparse
import random
import statistics
import time

from common import configure, recreate_database

BENCH_DB = configure("postgres://postgres@127.0.0.1:5432/hub_bench")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from hub.markdown import markdown_excerpt, render_markdown  # noqa: E402
from releases.models import Release  # noqa: E402
from repos.models import License, Repository, Tag, Task  # noqa: E402

WORDS = [
    "volatility",
    "forecast",
    "ethereum",
    "bitcoin",
    "solana",
    "price",
    "risk",
    "lending",
    "liquidation",
    "model",
    "onnx",
    "transformer",
    "regression",
    "classifier",
    "gradient",
    "boosting",
    "time",
    "series",
    "hourly",
    "daily",
    "returns",
    "order",
    "book",
    "funding",
    "rate",
    "gas",
    "fee",
    "sentiment",
    "embedding",
    "diffusion",
    "image",
    "text",
    "tokens",
]
TAG_POOL = [f"{w}-{i}" if i else w for i in range(8) for w in WORDS][:200]
# Model cards share a few domain words and differ in the rest, like real ones: about one in
# ten cards mentions a given domain word.
FILLER = [f"term{i}" for i in range(3000)]


def description(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(WORDS if rng.random() < 0.08 else FILLER) for _ in range(60))
    return (
        f"# Model {n}\n\nThis model does {words}.\n\n"
        "| metric | value |\n|---|---|\n| mae | 0.1 |\n\n```python\nprint('hello')\n```\n"
    )


def seed(total: int) -> None:
    """Grow the hub to `total` repositories, in bulk (the services are measured elsewhere)."""
    have = Repository.objects.count()
    if have >= total:
        return
    rng = random.Random(total)
    owners = list(User.objects.order_by("id"))
    while len(owners) < max(10, total // 20):
        owners.append(User.objects.create(username=f"owner{len(owners)}"))
    tasks, licenses = list(Task.objects.all()), list(License.objects.all())
    tags = {t.name: t for t in Tag.objects.all()}
    for name in TAG_POOL:
        if name not in tags:
            tags[name] = Tag.objects.create(name=name)
    tag_list = list(tags.values())
    sample = description(rng, 0)
    html, summary = render_markdown(sample), markdown_excerpt(sample)
    batch = []
    for n in range(have, total):
        batch.append(
            Repository(
                owner=owners[n % len(owners)],
                name=f"model-{n}-{rng.choice(WORDS)}",
                description=description(rng, n),
                description_html=html,
                summary=summary,
                task=rng.choice(tasks),
                license=rng.choice(licenses),
                visibility="private" if n % 10 == 9 else "public",
            )
        )
    Repository.objects.bulk_create(batch, batch_size=2000)
    new = list(Repository.objects.filter(latest_release=None))
    releases, links = [], []
    Link = Repository.tags.through
    for repo in new:
        for minor in range(3):
            releases.append(Release(repository=repo, major=1, minor=minor, notes="notes"))
        for tag in rng.sample(tag_list, rng.randint(3, 5)):
            links.append(Link(repository_id=repo.id, tag_id=tag.id))
    Release.objects.bulk_create(releases, batch_size=5000)
    Link.objects.bulk_create(links, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE repos_repository r SET latest_release_id = (
                SELECT id FROM releases_release l WHERE l.repository_id = r.id
                ORDER BY major DESC, minor DESC LIMIT 1)
            WHERE r.latest_release_id IS NULL;
            UPDATE repos_repository r SET search_vector =
                setweight(to_tsvector('simple', r.name), 'A')
                || setweight(to_tsvector('simple', regexp_replace(r.name, '[._-]+', ' ', 'g')), 'A')
                || setweight(to_tsvector('simple', coalesce(t.tags, '')), 'B')
                || setweight(to_tsvector('english', r.description), 'C')
            FROM (SELECT rt.repository_id, string_agg(tag.name, ' ') AS tags
                  FROM repos_repository_tags rt JOIN repos_tag tag ON tag.id = rt.tag_id
                  GROUP BY rt.repository_id) t
            WHERE t.repository_id = r.id AND r.search_vector IS NULL;
            ANALYZE;
            """
        )


def matches(url: str) -> str:
    if "?q=" not in url:
        return ""
    from django.contrib.auth.models import AnonymousUser

    from repos.selectors import RepositoryFilters, repository_search

    query = url.split("?q=")[1].replace("+", " ")
    found = repository_search(user=AnonymousUser(), filters=RepositoryFilters(query=query))
    return f" ({found.count():,} matches)"


def measure(client: Client, url: str, requests: int) -> dict:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[max(0, round(0.95 * len(timings)) - 1)],
        "queries": len(ctx.captured_queries),
    }


def pages() -> dict[str, str]:
    repo = Repository.objects.filter(visibility="public").order_by("id").select_related("owner")[0]
    return {
        "home": "/",
        "search, one word": "/models?q=volatility",
        "search, two words": "/models?q=volatility+ethereum",
        "filtered list": "/models?task=defi-forecasting&tag=ethereum&sort=name",
        "repository page": repo.get_absolute_url(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    visitor = Client()
    member = Client()
    member.force_login(User.objects.create(username="bench-member"))

    print("| N | page | visitor | median ms | p95 ms | queries |")
    print("|---:|---|---|---:|---:|---:|")
    for size in sorted(args.sizes):
        started = time.perf_counter()
        seed(size)
        print(f"<!-- seeded {size} repositories in {time.perf_counter() - started:.1f} s -->")
        for label, url in pages().items():
            for who, client in (("anonymous", visitor), ("signed in", member)):
                r = measure(client, url, args.requests)
                print(
                    f"| {size:,} | {label}{matches(url)} | {who} | {r['median']:.1f} "
                    f"| {r['p95']:.1f} "
                    f"| {r['queries']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
