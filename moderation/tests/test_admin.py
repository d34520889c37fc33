"""Moderation in the admin: each action as a moderator, as a superuser and as staff without
the group; the audit row for each; what a moderator cannot do; query counts of the lists."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import services
from moderation.models import Action, ModerationAction, Report, ReportStatus
from moderation.tests.conftest import client_for
from releases.models import ReleaseFile
from releases.services.files import file_add_content
from repos.models import Repository
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["moderator", "superuser"])
def acting(request):
    """A client for each role allowed to moderate, and its user."""
    user = request.getfixturevalue(request.param)
    return client_for(user), user


def run_action(client, changelist: str, action: str, pks, reason: str | None = None):
    url = reverse(f"admin:{changelist}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]}
    response = client.post(url, data)
    if reason is None:
        return response
    assert response.status_code == 200, response.status_code  # the reason page
    assert "Reason" in response.content.decode()
    return client.post(url, {**data, "apply": "1", "reason": reason})


def actions_logged():
    return list(ModerationAction.objects.order_by("id").values_list("action", "moderator_name"))


def test_hide_restore_feature_from_the_repository_list(acting, public_repo):
    client, user = acting
    response = run_action(client, "repos_repository", "hide_repositories", [public_repo.pk], "spam")
    assert response.status_code == 302
    public_repo.refresh_from_db()
    assert public_repo.is_hidden and public_repo.hidden_reason == "spam"
    run_action(client, "repos_repository", "restore_repositories", [public_repo.pk], "fixed")
    run_action(client, "repos_repository", "feature_repositories", [public_repo.pk])
    public_repo.refresh_from_db()
    assert not public_repo.is_hidden and public_repo.featured_at
    run_action(client, "repos_repository", "unfeature_repositories", [public_repo.pk])
    name = user.username
    assert actions_logged() == [
        (Action.HIDE, name), (Action.RESTORE, name), (Action.FEATURE, name),
        (Action.UNFEATURE, name),
    ]  # fmt: skip


def test_hiding_without_a_reason_asks_again_and_changes_nothing(acting, public_repo):
    client, _ = acting
    response = run_action(client, "repos_repository", "hide_repositories", [public_repo.pk], " ")
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    public_repo.refresh_from_db()
    assert not public_repo.is_hidden and not ModerationAction.objects.exists()


def test_ban_and_unban_from_the_user_list(acting, owner, public_repo):
    client, user = acting
    run_action(client, "accounts_user", "ban_users", [owner.pk], "spam account")
    owner.refresh_from_db()
    public_repo.refresh_from_db()
    assert owner.is_banned and public_repo.is_hidden
    run_action(client, "accounts_user", "unban_users", [owner.pk], "appeal accepted")
    owner.refresh_from_db()
    public_repo.refresh_from_db()
    assert not owner.is_banned and not public_repo.is_hidden
    assert actions_logged() == [(Action.BAN, user.username), (Action.UNBAN, user.username)]


@pytest.mark.parametrize(
    "changelist, action",
    [("repos_repository", "restore_repositories"), ("accounts_user", "unban_users")],
)
def test_restore_and_unban_ask_a_reason_and_log_it(acting, owner, public_repo, changelist, action):
    client, _ = acting
    services.user_ban(user=owner, moderator=acting[1], reason="spam account")
    services.repository_hide(repository=public_repo, moderator=acting[1], reason="spam")
    ModerationAction.objects.all().delete()
    pk = public_repo.pk if changelist == "repos_repository" else owner.pk
    empty = run_action(client, changelist, action, [pk], " ")
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    assert not ModerationAction.objects.exists()  # asked again, nothing done
    run_action(client, changelist, action, [pk], "appeal accepted")
    assert list(ModerationAction.objects.values_list("reason", flat=True)) == ["appeal accepted"]


def test_banning_staff_is_refused_with_a_message(acting, staff):
    client, _ = acting
    response = run_action(client, "accounts_user", "ban_users", [staff.pk], "x")
    page = client.get(response["Location"]).content.decode()
    assert "is staff: take away their staff status" in page
    staff.refresh_from_db()
    assert not staff.is_banned


def test_the_reports_queue_resolves_dismisses_and_hides(acting, owner, public_repo):
    client, _ = acting
    reporters = [UserFactory(username=f"r{i}") for i in range(3)]
    quiet = RepositoryFactory(owner=owner, name="quiet")
    reports = [
        services.report_create(repository=public_repo, reporter=r, reason="spam", text="ads")
        for r in reporters
    ]
    lone = services.report_create(repository=quiet, reporter=reporters[0], reason="other", text="")
    queue = client.get(reverse("admin:moderation_report_changelist"))
    rows = list(queue.context["cl"].result_list)
    # Open reports first, the most reported repository first, grouped, with the count.
    assert [r.repository.name for r in rows] == ["eth-volatility"] * 3 + ["quiet"]
    assert [r.repository.open_reports for r in rows] == [3, 3, 3, 1]

    run_action(client, "moderation_report", "dismiss_reports", [lone.pk])
    run_action(client, "moderation_report", "resolve_reports", [reports[0].pk])
    run_action(client, "moderation_report", "hide_reported_repositories", [reports[1].pk], "spam")
    public_repo.refresh_from_db()
    assert public_repo.is_hidden
    assert set(Report.objects.values_list("status", flat=True)) == {
        ReportStatus.RESOLVED,
        ReportStatus.DISMISSED,
    }
    logged = [a for a, _ in actions_logged()]
    assert logged == [Action.DISMISS, Action.RESOLVE, Action.HIDE, Action.RESOLVE, Action.RESOLVE]


def test_deleting_an_unsafe_file_from_the_file_list(acting, public_repo, shared_storage):
    client, user = acting
    rf = file_add_content(
        release=public_repo.releases.get(), path="evil.bin", data=b"bad", user=None
    )
    asked = run_action(client, "releases_releasefile", "delete_unsafe_files", [rf.pk])
    # The reason's page says which repository and release the file is in, not just its name.
    assert "<li>alice/eth-volatility v1.00: evil.bin</li>" in asked.content.decode()
    run_action(client, "releases_releasefile", "delete_unsafe_files", [rf.pk], "malware")
    assert not ReleaseFile.objects.exists()
    assert actions_logged() == [(Action.DELETE_FILE, user.username)]
    # The admin's raw delete, which would skip the log, is not offered.
    page = client.get(reverse("admin:releases_releasefile_changelist")).content.decode()
    assert "delete_selected" not in page


def test_the_log_is_shown_on_the_repository_page_and_filterable_by_moderator(
    acting, public_repo, moderator
):
    client, _ = acting
    services.repository_hide(repository=public_repo, moderator=moderator, reason="why not")
    page = client.get(reverse("admin:repos_repository_change", args=[public_repo.pk]))
    assert "Moderation log" in page.content.decode() and "why not" in page.content.decode()
    log = client.get(
        reverse("admin:moderation_moderationaction_changelist")
        + f"?moderator__id__exact={moderator.pk}"
    )
    assert len(log.context["cl"].result_list) == 1


def test_nobody_can_add_change_or_delete_log_entries(acting, public_repo, moderator):
    client, _ = acting
    services.repository_hide(repository=public_repo, moderator=moderator, reason="r")
    entry = ModerationAction.objects.get()
    base = "admin:moderation_moderationaction"
    assert client.get(reverse(f"{base}_add")).status_code == 403
    assert client.post(reverse(f"{base}_change", args=[entry.pk]), {"reason": "x"}).status_code in (
        403,
        200,
    )
    assert (
        client.post(reverse(f"{base}_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    response = client.post(
        reverse(f"{base}_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.reason == "r" and ModerationAction.objects.count() == 1


def test_staff_without_the_group_can_do_none_of_it(public_repo, owner):
    client = client_for(UserFactory(username="clerk", is_staff=True))
    for changelist in [
        "repos_repository", "accounts_user", "moderation_report",
        "moderation_moderationaction", "releases_releasefile",
    ]:  # fmt: skip
        assert client.get(reverse(f"admin:{changelist}_changelist")).status_code == 403
    assert (
        run_action(
            client, "repos_repository", "hide_repositories", [public_repo.pk], None
        ).status_code
        == 403
    )
    assert run_action(client, "accounts_user", "ban_users", [owner.pk], None).status_code == 403
    public_repo.refresh_from_db()
    owner.refresh_from_db()
    assert (
        not public_repo.is_hidden and not owner.is_banned and not ModerationAction.objects.exists()
    )


def test_a_moderator_cannot_change_site_settings_or_grant_permissions(moderator, owner):
    client = client_for(moderator)
    for url in [
        reverse("admin:repos_task_changelist"),
        reverse("admin:repos_license_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:accounts_user_add"),
    ]:
        assert client.get(url).status_code == 403, url
    change = reverse("admin:accounts_user_change", args=[owner.pk])
    assert client.get(change).status_code == 200  # viewing is allowed, read-only
    response = client.post(change, {"username": "alice", "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 403
    owner.refresh_from_db()
    assert not owner.is_staff and not owner.is_superuser
    moderator.refresh_from_db()
    assert moderator.get_all_permissions() == {
        "repos.view_repository", "repos.moderate_repository", "releases.view_release",
        "releases.view_releasefile", "releases.remove_unsafe_file", "releases.view_blob",
        "accounts.view_user", "accounts.ban_user", "moderation.view_report",
        "moderation.change_report", "moderation.view_moderationaction",
        "inference.view_inferencejob",
    }  # fmt: skip


LISTS = [
    "repos_repository", "moderation_report", "accounts_user", "releases_release",
    "releases_releasefile", "releases_blob", "moderation_moderationaction",
    "inference_inferencejob",
]  # fmt: skip


def _fill(owner, moderator, start: int, count: int, shared_storage):
    for i in range(start, start + count):
        repo = RepositoryFactory(owner=owner, name=f"m{i}", tags=["x"])
        file_add_content(
            release=repo.releases.get(), path="w.bin", data=f"w{i}".encode(), user=owner
        )
        reporter = UserFactory(username=f"rep{i}")
        services.report_create(repository=repo, reporter=reporter, reason="spam", text="t")
        services.repository_feature(repository=repo, moderator=moderator)


@pytest.mark.parametrize("changelist", LISTS)
def test_admin_lists_run_a_constant_number_of_queries(
    superuser, owner, moderator, shared_storage, changelist
):
    client = client_for(superuser)
    url = reverse(f"admin:{changelist}_changelist")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    _fill(owner, moderator, 0, 3, shared_storage)
    few = count()
    _fill(owner, moderator, 3, 30, shared_storage)
    assert count() == few
    assert Repository.objects.count() == 33


def test_the_admin_front_page_says_what_waits_for_the_moderators(moderator, other, public_repo):
    services.report_create(repository=public_repo, reporter=other, reason="spam", text="")
    services.repository_hide(repository=public_repo, moderator=moderator, reason="spam")
    html = client_for(moderator).get(reverse("admin:index")).content.decode()
    assert "Moderation at a glance" in html
    assert "<strong>1</strong> open report</a>" in html
    assert "<strong>1</strong> hidden repository</a>" in html
    assert "<strong>0</strong> banned accounts</a>" in html


def test_the_open_reports_count_links_to_that_repositorys_reports(moderator, other, owner):
    first = RepositoryFactory(owner=owner, name="first")
    second = RepositoryFactory(owner=owner, name="second")
    services.report_create(repository=first, reporter=other, reason="spam", text="")
    services.report_create(repository=second, reporter=other, reason="spam", text="")
    client = client_for(moderator)
    html = client.get(reverse("admin:repos_repository_changelist")).content.decode()
    link = f"?repository__id__exact={first.pk}&amp;status__exact=open"
    assert link in html
    reports = client.get(reverse("admin:moderation_report_changelist") + link.replace("&amp;", "&"))
    assert [r.repository_id for r in reports.context["cl"].result_list] == [first.pk]
