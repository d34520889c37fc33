"""Admin list pages at scale: SQL queries and latency of each moderation list with 1,000 and
then 10,000 repositories (and 100, then 1,000 reports).

    .venv/bin/python bench/admin.py [--sizes 1000 10000] [--requests 20]
    .venv/bin/python bench/admin.py --quick    # 50 then 100 repositories: it runs

Seeds in bulk into its own PostgreSQL database (BENCH_DATABASE_URL, default
.../hub_bench_admin, dropped and recreated): repositories with one release each, a file in
every tenth, users, reports (a tenth of the repository count, spread over repositories so
some have several), moderation log entries and inference jobs in the same proportion. Each
list is requested through Django's test client in-process with production settings, as a
superuser and as a member of the Moderators group; figures are over 20 requests after 2
warm-ups, the query count is that of one request.
"""

import argparse
import hashlib
import random
import statistics
import time

from common import arguments, configure, percentile, recreate_database

BENCH_DB = configure("hub_bench_admin")

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, OuterRef, Subquery  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from inference.models import InferenceJob  # noqa: E402
from moderation.models import Action, ModerationAction, Report, ReportStatus  # noqa: E402
from releases.models import Blob, Release, ReleaseFile  # noqa: E402
from repos.models import License, Repository, Task  # noqa: E402

LISTS = {
    "repositories": "/admin/repos/repository/",
    "repositories, hidden filter": "/admin/repos/repository/?moderation=reported",
    "reports queue": "/admin/moderation/report/?status__exact=open",
    "users": "/admin/accounts/user/",
    "releases": "/admin/releases/release/",
    "files": "/admin/releases/releasefile/",
    "blobs": "/admin/releases/blob/",
    "moderation log": "/admin/moderation/moderationaction/",
    "inference jobs": "/admin/inference/inferencejob/",
}


def seed(total: int) -> None:
    have = Repository.objects.count()
    rng = random.Random(total)
    users = list(User.objects.filter(is_staff=False).order_by("id"))
    while len(users) < total // 20:
        users.append(User(username=f"user{len(users)}", email=f"u{len(users)}@example.com"))
    User.objects.bulk_create([u for u in users if u.pk is None])
    users = list(User.objects.filter(is_staff=False).order_by("id"))
    tasks, licenses = list(Task.objects.all()), list(License.objects.all())
    Repository.objects.bulk_create(
        [
            Repository(
                owner=users[n % len(users)],
                name=f"model-{n}",
                description="A model.",
                summary="A model.",
                task=rng.choice(tasks),
                license=rng.choice(licenses),
            )
            for n in range(have, total)
        ],
        batch_size=2000,
    )
    new = list(Repository.objects.filter(latest_release=None).order_by("id"))
    Release.objects.bulk_create([Release(repository=r, major=1, minor=0) for r in new])
    releases = {r.repository_id: r for r in Release.objects.filter(repository__in=new)}
    blobs = [
        Blob(
            sha256=hashlib.sha256(f"b{r.pk}".encode()).hexdigest(), blob_id=f"bafk{r.pk}", size=1000
        )
        for r in new[::10]
    ]
    Blob.objects.bulk_create(blobs)
    blobs = {b.blob_id: b for b in Blob.objects.filter(blob_id__in=[b.blob_id for b in blobs])}
    ReleaseFile.objects.bulk_create(
        [
            ReleaseFile(release=releases[r.pk], path="model.onnx", blob=blobs[f"bafk{r.pk}"])
            for r in new[::10]
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE repos_repository r SET latest_release_id = l.id FROM releases_release l "
            "WHERE l.repository_id = r.id AND r.latest_release_id IS NULL"
        )
    moderator = User.objects.get(username="moderator")
    reports, actions, jobs = [], [], []
    for i in range(len(new) // 10):
        repo = new[rng.randrange(len(new)) // 3]  # a third of them collect the reports
        reporter = users[(i * 7) % len(users)]
        reports.append(Report(repository=repo, reporter=reporter, reason="spam", text="ads"))
        actions.append(
            ModerationAction(
                moderator=moderator,
                moderator_name="moderator",
                action=Action.FEATURE,
                target=f"{repo.name}",
                repository=repo,
            )
        )
        jobs.append(
            InferenceJob(
                repository=repo,
                model_id="bafk",
                file_label=f"x/{repo.name} v1.00 model.onnx",
                requested_by=moderator,
                inputs={},
                input_sha256="0" * 64,
                backend="local",
            )
        )
    Report.objects.bulk_create(reports, ignore_conflicts=True)
    open_reports = Report.objects.filter(repository=OuterRef("pk"), status=ReportStatus.OPEN)
    Repository.objects.filter(pk__in=[r.pk for r in new]).update(
        open_reports=Coalesce(
            Subquery(
                open_reports.order_by().values("repository").annotate(n=Count("*")).values("n")
            ),
            0,
        )
    )
    ModerationAction.objects.bulk_create(actions)
    InferenceJob.objects.bulk_create(jobs)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Client, url: str, requests: int) -> tuple[float, float, int]:
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), percentile(times, 0.95), len(ctx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=20)
    args = arguments(parser, sizes=[50, 100], requests=2)
    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    root = User.objects.create_superuser("root", "root@example.com", "bench-password-123")
    moderator = User.objects.create_user("moderator", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    clients = {}
    for name, user in (("superuser", root), ("moderator", moderator)):
        clients[name] = Client()
        clients[name].force_login(user)
    print("| repositories | reports | list | as | median ms | p95 ms | queries |")
    print("|---:|---:|---|---|---:|---:|---:|")
    for total in sorted(args.sizes):
        seed(total)
        reports = Report.objects.count()
        for label, url in LISTS.items():
            for who, client in clients.items():
                median, p95, queries = measure(client, url, args.requests)
                print(
                    f"| {total:,} | {reports:,} | {label} | {who} | {median:.1f} | {p95:.1f} "
                    f"| {queries} |"
                )


if __name__ == "__main__":
    main()
