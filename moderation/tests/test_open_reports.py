"""`Repository.open_reports`, the count the reports queue sorts by, stays equal to the open
reports on the repository through every way a report opens, closes or disappears."""

import threading

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.db.models import Count, F, Q
from django.urls import reverse

from moderation import services
from moderation.models import Report, ReportStatus
from moderation.tests.conftest import client_for
from repos import services as repo_services
from repos.models import Repository
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def counted(repo) -> int:
    return Repository.objects.values_list("open_reports", flat=True).get(pk=repo.pk)


def assert_every_count_is_right():
    wrong = Repository.objects.annotate(
        really=Count("reports", filter=Q(reports__status=ReportStatus.OPEN))
    ).exclude(open_reports=F("really"))
    assert list(wrong.values_list("name", "open_reports", "really")) == []


def report(repo, reporter):
    return services.report_create(repository=repo, reporter=reporter, reason="spam", text="")


def test_reports_count_up_and_closing_counts_down_once(public_repo, moderator):
    reporters = [UserFactory(username=f"r{i}") for i in range(3)]
    reports = [report(public_repo, r) for r in reporters]
    assert counted(public_repo) == 3
    services.report_close(report=reports[0], moderator=moderator, status=ReportStatus.RESOLVED)
    services.report_close(report=reports[1], moderator=moderator, status=ReportStatus.DISMISSED)
    assert counted(public_repo) == 1
    # Closing a closed report again changes nothing.
    again = services.report_close(
        report=reports[0], moderator=moderator, status=ReportStatus.DISMISSED
    )
    assert again is False and counted(public_repo) == 1
    # The same user may report again once their report is closed.
    report(public_repo, reporters[0])
    assert counted(public_repo) == 2
    assert_every_count_is_right()


def test_a_report_filed_before_the_count_existed_closes_without_going_below_zero(
    public_repo, moderator
):
    # During an upgrade the old code files reports without counting them.
    uncounted = Report.objects.create(
        repository=public_repo, reporter=UserFactory(username="early"), reason="spam"
    )
    assert counted(public_repo) == 0
    assert services.report_close(
        report=uncounted, moderator=moderator, status=ReportStatus.RESOLVED
    )
    assert counted(public_repo) == 0


def test_a_refused_report_counts_nothing(public_repo, owner, other):
    report(public_repo, other)
    with pytest.raises(Exception, match="already reported"):
        report(public_repo, other)
    with pytest.raises(Exception, match="your own repository"):
        report(public_repo, owner)
    assert counted(public_repo) == 1
    assert_every_count_is_right()


def test_hiding_from_the_queue_resolves_every_open_report_and_counts_zero(moderator, public_repo):
    reports = [report(public_repo, UserFactory(username=f"r{i}")) for i in range(3)]
    client = client_for(moderator)
    url = reverse("admin:moderation_report_changelist")
    data = {"action": "hide_reported_repositories", ACTION_CHECKBOX_NAME: [str(reports[0].pk)]}
    client.post(url, {**data, "apply": "1", "reason": "spam"})
    assert Repository.objects.get(pk=public_repo.pk).is_hidden
    assert counted(public_repo) == 0
    assert_every_count_is_right()


def test_an_account_that_made_reports_cannot_be_deleted_in_the_admin(staff, owner, public_repo):
    # Reports are closed, never removed: deleting their reporter (whose reports would go
    # with the account, uncounted) is refused, and the count stays.
    reporter = UserFactory(username="reporter")
    report(public_repo, reporter)
    client = client_for(staff)
    url = reverse("admin:accounts_user_delete", args=[reporter.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    data = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [str(reporter.pk)]}
    client.post(reverse("admin:accounts_user_changelist"), data)
    assert Report.objects.filter(reporter=reporter).exists()
    assert counted(public_repo) == 1


def test_deleting_a_reported_repository_leaves_the_other_counts_right(owner, other):
    doomed = RepositoryFactory(owner=owner, name="doomed")
    kept = RepositoryFactory(owner=owner, name="kept")
    report(doomed, other)
    report(kept, other)
    repo_services.repository_delete(repository=doomed, confirm_name="doomed")
    assert counted(kept) == 1
    assert not Report.objects.filter(repository_id=doomed.pk).exists()
    assert_every_count_is_right()


def test_the_queue_follows_the_counts(moderator, owner):
    busy = RepositoryFactory(owner=owner, name="busy")
    quiet = RepositoryFactory(owner=owner, name="quiet")
    reporters = [UserFactory(username=f"r{i}") for i in range(3)]
    report(quiet, reporters[0])
    first_on_busy = report(busy, reporters[1])
    report(busy, reporters[2])
    client = client_for(moderator)
    url = reverse("admin:moderation_report_changelist") + "?status__exact=open"

    def queue():
        rows = client.get(url).context["cl"].result_list
        return [(r.repository.name, r.repository.open_reports) for r in rows]

    assert queue() == [("busy", 2), ("busy", 2), ("quiet", 1)]
    services.report_close(report=first_on_busy, moderator=moderator, status=ReportStatus.RESOLVED)
    report(quiet, reporters[1])
    assert queue() == [("quiet", 2), ("quiet", 2), ("busy", 1)]


def test_the_queue_counts_up_to_its_cap(moderator, owner, monkeypatch):
    monkeypatch.setattr("moderation.admin.QUEUE_COUNT_CAP", 2)
    repo = RepositoryFactory(owner=owner, name="busy")
    for i in range(3):
        report(repo, UserFactory(username=f"r{i}"))
    url = reverse("admin:moderation_report_changelist") + "?status__exact=open"
    client = client_for(moderator)
    assert "2+ reports" in client.get(url).content.decode()
    # "2+" is remembered a minute for this list; other filters are counted.
    first = Report.objects.filter(repository=repo).first()
    services.report_close(report=first, moderator=moderator, status=ReportStatus.RESOLVED)
    assert "2+ reports" in client.get(url).content.decode()
    assert "1 report" in client.get(url.replace("open", "resolved")).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_reports_and_closes_each_count(moderator):
    # Real PostgreSQL transactions at once: a count read and written back would lose some.
    repo = RepositoryFactory(owner=UserFactory(username="owner"), name="busy")
    workers = 8
    reporters = [UserFactory(username=f"r{i}") for i in range(workers)]
    closing = [report(repo, UserFactory(username=f"early{i}")) for i in range(workers)]
    barrier = threading.Barrier(workers * 2)
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            barrier.wait()
            action()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    actions = [lambda r=r: report(repo, r) for r in reporters] + [
        lambda r=r: services.report_close(report=r, moderator=moderator, status="resolved")
        for r in closing
    ]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert counted(repo) == workers
    assert_every_count_is_right()
