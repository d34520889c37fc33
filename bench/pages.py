"""Page latency and query counts of the browse, search, repository, user and admin pages.

Seeds N repositories into a PostgreSQL database of its own, in bulk and in SQL (a million in
a few minutes), then requests each page through Django's test client in-process with
production settings: median and p95 latency over repeated requests, and the number of SQL
queries per page.

    .venv/bin/python bench/pages.py                          # N = 10,000
    .venv/bin/python bench/pages.py --repos 10000 100000 1000000
    .venv/bin/python bench/pages.py --repos 1000000 --reuse  # keep the seeded database
    .venv/bin/python bench/pages.py --quick                  # 1,200 then 2,500: it runs

The hub it seeds: owners spread over N/20 users (a few own thousands, most a handful), 8
tasks and 8 licences (the first ones more used), 3-5 tags each from a pool of 200 (some much
more popular than others), a tenth private, one public repository in 200 hidden by the
moderators, six featured, 1-4 releases each, two files in the latest release of one in ten,
a report for one repository in a hundred, and downloads on some of the last ten days for one
in fifty (what "trending" ranks first). Model cards hold ~60 words, a few of them
from a shared domain vocabulary, so that a one-word search matches about a quarter of the hub.
Each row is what the services would have written (checked on a sample after seeding).

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/hub_bench) is dropped and
recreated unless --reuse is given: never point it at real data. With --reuse, a database that
already holds some repositories is grown to each N (never shrunk) and migrated first.
"""

import argparse
import contextlib
import logging
import statistics
import time

from common import arguments, configure, percentile, recreate_database

# The pages themselves, not the anonymous page cache (hub/pagecache.py; bench/load.py
# measures the hub with it).
BENCH_DB = configure("hub_bench", HUB_PAGE_CACHE_SECONDS="0")

from django.contrib.auth.models import AnonymousUser, Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from hub.markdown import markdown_excerpt, render_markdown  # noqa: E402
from releases.services.releases import notes_derived  # noqa: E402
from repos import services as repo_services  # noqa: E402
from repos.models import Repository, Tag  # noqa: E402

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
FILLER_WORDS = 3000  # term0 … term2999: the words model cards do not share
CARD_WORDS = 60
DOMAIN_SHARE = 0.08  # of a card's words; about one card in ten then mentions a given one
TAG_STRIDES = [1, 3, 7, 9, 11, 13, 17, 19, 21, 23, 27, 29, 31, 33, 37, 39]  # prime to 200
MEMBER = "bench-member"  # the signed-in visitor: owns 20 repositories, 2 of them private
PROLIFIC = "user0"  # the owner with the most repositories (thousands at N = 1,000,000)

# Placeholders rendered once by the hub's own Markdown functions, filled in by SQL per row.
_N, _WORDS = "918273645", "seedwordsgohere"
CARD = (
    "# Model {n}\n\nThis model does {words}.\n\n"
    "| metric | value |\n|---|---|\n| mae | 0.1 |\n\n```python\nprint('hello')\n```\n"
)
NOTES = "Trained on more data; lower error."


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _card_sql(kind: str) -> str:
    """SQL building one row's card (`description`, `description_html` or `summary`) from
    `n` and `words`, out of what render_markdown and markdown_excerpt make of the template."""
    template = CARD.format(n=_N, words=_WORDS)
    rendered = {
        "description": template,
        "description_html": render_markdown(template),
        "summary": markdown_excerpt(template, limit=10_000),
    }[kind]
    sql = f"replace(replace({_sql_text(rendered)}, '{_N}', n::text), '{_WORDS}', words)"
    if kind == "summary":  # markdown_excerpt's cut: 180 characters with an ellipsis
        sql = f"(SELECT CASE WHEN length(s) <= 180 THEN s ELSE rtrim(left(s, 179)) || '…' END FROM (SELECT {sql} AS s) x)"  # noqa: E501
    return sql


def _gin_indexes(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE tablename = 'repos_repository' AND indexdef LIKE '%USING gin%'"
    )
    return cursor.fetchall()


def seed(total: int) -> None:
    """Grow the hub to `total` repositories in SQL (the services are measured elsewhere).

    Ids of repositories and releases are assigned up front so that every row is written
    once (a repository points at its latest release, which is inserted after it); foreign
    keys are checked in one pass at the end instead of by a trigger per row.
    """
    have = Repository.objects.count()
    if have >= total:
        return
    for name in TAG_POOL:
        Tag.objects.get_or_create(name=name)
    member = User.objects.get(username=MEMBER)
    words = "(ARRAY[" + ",".join(_sql_text(w) for w in WORDS) + "])"
    notes = notes_derived(NOTES)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL maintenance_work_mem = '1GB'; SET LOCAL work_mem = '256MB';"
            "SET LOCAL synchronous_commit = off; SET LOCAL session_replication_role = replica;"
            f"SELECT setseed({(total % 1000) / 1000 + 0.0001})"
        )
        gins = _gin_indexes(cursor)  # built once after the load: much faster than per row
        for name, _ in gins:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, ban_reason)
            SELECT '!', false, 'user' || g, '', '', 'user' || g || '@example.com', false, true,
                now() - random() * interval '1500 days', ''
            FROM generate_series(
                (SELECT count(*) FROM accounts_user WHERE username ~ '^user[0-9]+$'),
                greatest(10, %(total)s / 20) - 1) g
            ORDER BY g;
            """,
            {"total": total},
        )
        # One row per new repository with everything drawn at random; ids assigned here.
        cursor.execute(
            f"""
            CREATE TEMP TABLE seed_repo ON COMMIT DROP AS
            SELECT n, nextval(pg_get_serial_sequence('repos_repository', 'id')) AS id,
                CASE WHEN n < 20 AND %(have)s = 0 THEN %(member)s
                     ELSE owners[1 + floor(cardinality(owners) * power(r_owner, 3))::int]
                END AS owner_id,
                'model-' || n || '-' || {words}[1 + floor(r_name * 33)::int] AS name,
                tasks[1 + floor(cardinality(tasks) * power(r_task, 1.6))::int] AS task_id,
                licenses[1 + floor(cardinality(licenses) * power(r_license, 1.6))::int]
                    AS license_id,
                CASE WHEN n %% 10 = 9 THEN 'private' ELSE 'public' END AS visibility,
                n %% 200 = 57 AS hidden,
                n IN (3, 13, 23, 33, 43, 53) AS featured,
                created_at,
                created_at + r_updated * (now() - created_at) AS updated_at,
                floor(power(r_downloads, 6) * 200000)::bigint AS downloads,
                1 + floor(r_releases * 4)::int AS releases,
                ARRAY(SELECT tag_ids[1 + (tag_start + j * tag_stride) %% 200]
                      FROM generate_series(0, tag_count - 1) j) AS tag_ids,
                (SELECT string_agg(CASE WHEN random() < {DOMAIN_SHARE}
                        THEN {words}[1 + floor(random() * 33)::int]
                        ELSE 'term' || floor(random() * {FILLER_WORDS})::int END, ' ')
                 FROM generate_series(1, {CARD_WORDS} + 0 * n)) AS words
            FROM (
                SELECT n, random() AS r_owner, random() AS r_name, random() AS r_task,
                    random() AS r_license, random() AS r_updated, random() AS r_downloads,
                    random() AS r_releases,
                    now() - random() * interval '1095 days' AS created_at,
                    3 + floor(random() * 3)::int AS tag_count,
                    floor(200 * power(random(), 1.5))::int AS tag_start,
                    (ARRAY{TAG_STRIDES})[1 + floor(random() * {len(TAG_STRIDES)})::int]
                        AS tag_stride
                FROM generate_series(%(have)s, %(total)s - 1) n
            ) drawn,
            (SELECT array_agg(id ORDER BY id) AS owners FROM accounts_user
             WHERE username ~ '^user[0-9]+$') o,
            (SELECT array_agg(id ORDER BY position, name) AS tasks FROM repos_task) t,
            (SELECT array_agg(id ORDER BY position, spdx_id) AS licenses FROM repos_license) l,
            (SELECT array_agg(id ORDER BY id) AS tag_ids FROM repos_tag
             WHERE name = ANY(%(pool)s)) g;

            -- Release ids: a block after the sequence's current value, in repository order.
            ALTER TABLE seed_repo ADD COLUMN first_release bigint;
            WITH base AS (
                SELECT coalesce(max(id), 0) AS last FROM releases_release
            ), numbered AS (
                SELECT id, sum(releases) OVER (ORDER BY n) - releases AS before FROM seed_repo
            )
            UPDATE seed_repo s SET first_release = base.last + numbered.before + 1
            FROM numbered, base WHERE numbered.id = s.id;

            INSERT INTO repos_repository (id, owner_id, name, description, description_html,
                summary, task_id, license_id, visibility, latest_release_id, downloads, stars,
                open_reports, hidden_at, hidden_reason, hidden_by_ban, featured_at, created_at,
                updated_at, search_vector)
            SELECT id, owner_id, name, {_card_sql("description")},
                {_card_sql("description_html")}, {_card_sql("summary")}, task_id, license_id,
                visibility, first_release + releases - 1, downloads, 0, 0,
                CASE WHEN hidden THEN updated_at END,
                CASE WHEN hidden THEN 'Advertising, not a model.' ELSE '' END, false,
                CASE WHEN featured AND visibility = 'public' AND NOT hidden
                     THEN now() - n * interval '1 minute' END,
                created_at, updated_at,
                setweight(to_tsvector('simple', name), 'A')
                || setweight(to_tsvector('simple', regexp_replace(name, '[._-]+', ' ', 'g')),
                             'A')
                || setweight(to_tsvector('simple', coalesce((
                        SELECT string_agg(t.name, ' ' ORDER BY t.name)
                        FROM repos_tag t WHERE t.id = ANY(tag_ids)), '')), 'B')
                || setweight(to_tsvector('english', {_card_sql("description")}), 'C')
            FROM seed_repo ORDER BY n;

            INSERT INTO repos_repository_tags (repository_id, tag_id)
            SELECT id, unnest(tag_ids) FROM seed_repo ORDER BY n;

            -- v1.00, v1.01, v2.00, v2.01: the first as the repository was made, the last
            -- at its last update.
            INSERT INTO releases_release (id, repository_id, major, minor, notes, notes_html,
                notes_excerpt, created_by_id, created_at)
            SELECT first_release + j, id, 1 + j / 2, j %% 2, {_sql_text(NOTES)},
                {_sql_text(notes["notes_html"])}, {_sql_text(notes["notes_excerpt"])}, owner_id,
                created_at + (updated_at - created_at) * j / greatest(releases - 1, 1)
            FROM seed_repo, generate_series(0, releases - 1) j
            ORDER BY n, j;

            -- Files: two in the latest release of one repository in ten, from a pool of
            -- blobs that several repositories share.
            INSERT INTO releases_blob (sha256, blob_id, size, created_at, onnx_status,
                onnx_error, blocked_reason)
            SELECT encode(sha256(convert_to('bench blob ' || g, 'UTF8')), 'hex'),
                'bafkrei' || encode(sha256(convert_to('bench cid ' || g, 'UTF8')), 'hex'),
                1000 + floor(random() * 50000000)::bigint, now(),
                CASE WHEN g %% 2 = 0 THEN 'valid' ELSE 'unchecked' END, '', ''
            FROM generate_series(
                (SELECT count(*) FROM releases_blob), greatest(100, %(total)s / 40) - 1) g;
            INSERT INTO releases_releasefile (release_id, path, blob_id, uploaded_by_id,
                created_at)
            SELECT first_release + releases - 1, f.path,
                blobs[1 + (n * 7 + f.k) %% cardinality(blobs)], owner_id, updated_at
            FROM seed_repo,
                (VALUES (0, 'model.onnx'), (1, 'README.md')) f(k, path),
                (SELECT array_agg(id ORDER BY id) AS blobs FROM releases_blob) b
            WHERE n %% 10 = 4
            ORDER BY n, f.k;

            -- "Trending": downloads (and a few stars) on some of the last ten days for one
            -- repository in fifty; the rest had no activity this week.
            INSERT INTO repos_dailyactivity (repository_id, day, downloads, stars)
            SELECT id, current_date - d, 1 + floor(power(random(), 4) * 500)::int,
                floor(random() * 1.3)::int
            FROM seed_repo, generate_series(0, 9) d
            WHERE n %% 50 = 7 AND random() < 0.5;

            -- Reports: one repository in a hundred, by one to three users, most still open.
            INSERT INTO moderation_report (repository_id, reporter_id, reason, text, status,
                created_at, closed_at)
            SELECT s.id, owners[1 + (n * 13 + k * 101) %% cardinality(owners)],
                (ARRAY['spam', 'malware', 'copyright', 'inappropriate', 'other'])[1 + n %% 5],
                'Looks like advertising.',
                CASE WHEN n %% 500 = 0 THEN 'dismissed' ELSE 'open' END,
                s.updated_at + k * interval '1 hour', CASE WHEN n %% 500 = 0 THEN now() END
            FROM seed_repo s,
                (SELECT array_agg(id ORDER BY id) AS owners FROM accounts_user
                 WHERE username ~ '^user[0-9]+$') o,
                generate_series(0, (n / 100) %% 3) k
            WHERE n %% 100 = 0 AND visibility = 'public'
            ON CONFLICT DO NOTHING;
            -- Each repository counts its open reports, as moderation.services keeps it.
            UPDATE repos_repository r SET open_reports = c.n
            FROM (SELECT m.repository_id, count(*) AS n FROM moderation_report m
                  JOIN seed_repo s ON s.id = m.repository_id
                  WHERE m.status = 'open' GROUP BY m.repository_id) c
            WHERE r.id = c.repository_id;

            SELECT setval(pg_get_serial_sequence('releases_release', 'id'),
                          (SELECT max(id) FROM releases_release));
            """,
            {"have": have, "total": total, "member": member.pk, "pool": TAG_POOL},
        )
        for _, definition in gins:
            cursor.execute(definition)
        cursor.execute("SET LOCAL session_replication_role = origin")
        _check_references(cursor)
    connection.close()
    repo_services.trending_refresh()  # the scores of the week's downloads, as the hub keeps them
    with connection.cursor() as cursor:  # outside a transaction: VACUUM sets the visibility map
        cursor.execute("VACUUM ANALYZE")
    _check_sample()


def _check_references(cursor) -> None:
    """The load skipped the per-row foreign key triggers: check the new rows' references."""
    cursor.execute(
        """
        WITH new AS (SELECT r.* FROM repos_repository r JOIN seed_repo s ON s.id = r.id)
        SELECT
          (SELECT count(*) FROM new LEFT JOIN accounts_user u ON u.id = new.owner_id
           WHERE u.id IS NULL),
          (SELECT count(*) FROM new WHERE latest_release_id IS DISTINCT FROM
             (SELECT id FROM releases_release l WHERE l.repository_id = new.id
              ORDER BY major DESC, minor DESC LIMIT 1)),
          (SELECT count(*) FROM releases_release l LEFT JOIN repos_repository r
             ON r.id = l.repository_id WHERE r.id IS NULL),
          (SELECT count(*) FROM releases_releasefile f LEFT JOIN releases_blob b
             ON b.id = f.blob_id WHERE b.id IS NULL),
          (SELECT count(*) FROM moderation_report m LEFT JOIN accounts_user u
             ON u.id = m.reporter_id WHERE u.id IS NULL),
          (SELECT count(*) FROM new WHERE open_reports <> (SELECT count(*)
             FROM moderation_report m WHERE m.repository_id = new.id AND m.status = 'open'))
        """
    )
    broken = cursor.fetchone()
    assert broken == (0,) * 6, f"seeded rows with broken references or counts: {broken}"


def _check_sample() -> None:
    """A few seeded repositories re-derived by the hub's own service are unchanged."""
    fields = ["description_html", "summary", "search_vector"]
    for repo in Repository.objects.order_by("?")[:10]:
        before = Repository.objects.filter(pk=repo.pk).values(*fields).get()
        with transaction.atomic():
            repo_services.repository_refresh_derived(repository=repo)
            after = Repository.objects.filter(pk=repo.pk).values(*fields).get()
            transaction.set_rollback(True)
        assert before == after, (repo.pk, before, after)


def match_count(url: str) -> str:
    """How many public repositories the search matches (for the table, not timed)."""
    if "q=" not in url:
        return ""
    from repos.selectors import RepositoryFilters, repository_search

    query = url.split("q=")[1].split("&")[0].replace("+", " ")
    ids = repository_search(user=AnonymousUser(), filters=RepositoryFilters(query=query))
    return f" ({ids.order_by().count():,} matches)"


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
        "p95": percentile(timings, 0.95),
        "queries": len(ctx.captured_queries),
    }


def pages() -> dict[str, tuple[str, list[str]]]:
    """Label: (URL, who requests it)."""
    prolific = User.objects.get(username=PROLIFIC)
    repo = (
        Repository.objects.filter(
            owner=prolific, visibility="public", hidden_at=None, latest_release__files__isnull=False
        )
        .order_by("id")
        .select_related("owner")
        .first()
    )
    site = ["anonymous", "signed in"]
    admin = ["superuser", "moderator"]
    return {
        "home": ("/", site),
        "list, all": ("/models", site),
        "list, page 50": ("/models?page=50", site),
        "list, task + tag, by name": ("/models?task=defi-forecasting&tag=ethereum&sort=name", site),
        "list, licence, newest": ("/models?license=MIT&sort=newest", site),
        "list, trending": ("/models?sort=trending", site),
        "list, trending, page 50": ("/models?sort=trending&page=50", site),
        "search, one word": ("/models?q=volatility", site),
        "search, one word, by name": ("/models?q=volatility&sort=name", site),
        "search, two words": ("/models?q=volatility+ethereum", site),
        "repository page": (repo.get_absolute_url(), site),
        f"user page ({prolific.repositories.count():,} repositories)": (
            prolific.get_absolute_url(),
            site,
        ),
        "admin, repositories": ("/admin/repos/repository/", admin),
        "admin, open reports": ("/admin/moderation/report/?status__exact=open", admin),
    }


# Lists remember for a minute that they hold more than their cap (hub.pagination.CountMemo):
# these are measured a second time counting on every request, as the first request of a
# search does.
UNREMEMBERED = ["list, all", "search, two words"]


@contextlib.contextmanager
def counts_not_remembered(active: bool):
    if not active:
        yield
        return
    from django.core.cache import cache

    from hub import pagination

    kept = pagination.COUNT_MEMO_SECONDS
    cache.clear()
    pagination.COUNT_MEMO_SECONDS = 0  # a timeout of 0 stores nothing
    try:
        yield
    finally:
        pagination.COUNT_MEMO_SECONDS = kept


def clients() -> dict[str, Client]:
    member, _ = User.objects.get_or_create(username=MEMBER)
    root = User.objects.filter(username="bench-root").first() or User.objects.create_superuser(
        "bench-root", "root@example.com", "bench-password-123"
    )
    moderator, created = User.objects.get_or_create(username="bench-moderator", is_staff=True)
    if created:
        moderator.groups.add(Group.objects.get(name="Moderators"))
    found = {"anonymous": Client()}
    for who, user in (("signed in", member), ("superuser", root), ("moderator", moderator)):
        found[who] = Client()
        found[who].force_login(user)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", "--sizes", type=int, nargs="+", default=[10000], dest="repos")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="keep and grow an existing database")
    parser.add_argument("--only", default="", help="measure only the pages whose label has this")
    # Quick: page 50 of /models exists, and a one-word search passes the count cap of a
    # filtered list (hub.pagination.FILTERED_COUNT_CAP) at the second size, as at 10,000.
    args = arguments(parser, repos=[1200, 2500], requests=3)
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per forced log-in otherwise

    if not args.reuse:
        recreate_database(BENCH_DB)
    else:
        import psycopg

        base, name = BENCH_DB.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"<!-- migrated in {time.perf_counter() - started:.1f} s -->")
    call_command("collectstatic", interactive=False, verbosity=0)
    by_who = clients()

    print("| N | page | visitor | median ms | p95 ms | queries |")
    print("|---:|---|---|---:|---:|---:|")
    for size in sorted(args.repos):
        have = Repository.objects.count()
        if have > size:
            raise SystemExit(f"The database holds {have:,} repositories, more than {size:,}.")
        started = time.perf_counter()
        seed(size)
        print(
            f"<!-- seeded {size - have:,} repositories (to {size:,}) in "
            f"{time.perf_counter() - started:.1f} s -->",
            flush=True,
        )
        rows = [(label, url, visitors, False) for label, (url, visitors) in pages().items()]
        rows += [(label, pages()[label][0], ["anonymous"], True) for label in UNREMEMBERED]
        for label, url, visitors, unremembered in rows:
            if args.only and args.only not in label:
                continue
            if unremembered:
                label += ", count not remembered"
            for who in visitors:
                with counts_not_remembered(unremembered):
                    r = measure(by_who[who], url, args.requests)
                print(
                    f"| {size:,} | {label}{match_count(url)} | {who} | {r['median']:.1f} "
                    f"| {r['p95']:.1f} | {r['queries']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
