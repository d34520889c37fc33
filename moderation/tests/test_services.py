import pytest
from django.test import override_settings

from hub.errors import HubError
from moderation import services
from moderation.models import Action, ModerationAction, Report, ReportStatus
from releases.models import DeletedPath, ReleaseFile
from releases.services.files import file_add_content
from repos.models import Repository
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def log_entries():
    return list(ModerationAction.objects.order_by("id").values_list("action", "target", "reason"))


def test_hide_and_restore_are_recorded_with_who_what_and_why(moderator, public_repo):
    assert services.repository_hide(repository=public_repo, moderator=moderator, reason="spam")
    public_repo.refresh_from_db()
    assert public_repo.is_hidden and public_repo.hidden_reason == "spam"
    assert not services.repository_hide(repository=public_repo, moderator=moderator, reason="x")
    assert services.repository_restore(
        repository=public_repo, moderator=moderator, reason="the ads are gone"
    )
    public_repo.refresh_from_db()
    assert not public_repo.is_hidden
    assert log_entries() == [
        (Action.HIDE, "alice/eth-volatility", "spam"),
        (Action.RESTORE, "alice/eth-volatility", "the ads are gone"),
    ]
    entry = ModerationAction.objects.first()
    assert entry.moderator == moderator and entry.moderator_name == "mod"
    assert entry.repository == public_repo and entry.created_at


def test_hiding_needs_a_reason(moderator, public_repo):
    with pytest.raises(HubError, match="Give a reason"):
        services.repository_hide(repository=public_repo, moderator=moderator, reason="  ")
    assert not ModerationAction.objects.exists()


def test_restoring_and_unbanning_need_a_reason(moderator, owner, public_repo):
    services.repository_hide(repository=public_repo, moderator=moderator, reason="spam")
    services.user_ban(user=owner, moderator=moderator, reason="spam account")
    with pytest.raises(HubError, match="Give a reason"):
        services.repository_restore(repository=public_repo, moderator=moderator, reason=" ")
    with pytest.raises(HubError, match="Give a reason"):
        services.user_unban(user=owner, moderator=moderator, reason="")
    owner.refresh_from_db()
    assert owner.is_banned
    assert [a for a, _, _ in log_entries()] == [Action.HIDE, Action.BAN]


def test_feature_and_unfeature(moderator, public_repo):
    assert services.repository_feature(repository=public_repo, moderator=moderator)
    assert not services.repository_feature(repository=public_repo, moderator=moderator)
    assert Repository.objects.get(pk=public_repo.pk).featured_at is not None
    assert services.repository_feature(repository=public_repo, moderator=moderator, featured=False)
    assert [a for a, _, _ in log_entries()] == [Action.FEATURE, Action.UNFEATURE]


def test_ban_and_unban_round_trip_restores_only_what_the_ban_hid(moderator, owner):
    kept = RepositoryFactory(owner=owner, name="kept")
    spam = RepositoryFactory(owner=owner, name="spam-one")
    services.repository_hide(repository=spam, moderator=moderator, reason="spam")
    assert services.user_ban(user=owner, moderator=moderator, reason="spam account")
    owner.refresh_from_db()
    assert owner.is_banned and not owner.is_active and owner.ban_reason == "spam account"
    kept.refresh_from_db()
    assert kept.is_hidden and kept.hidden_by_ban
    assert kept.hidden_reason == "The owner's account is banned: spam account"
    spam.refresh_from_db()
    assert spam.hidden_reason == "spam" and not spam.hidden_by_ban
    with pytest.raises(HubError, match="unban the owner instead"):
        services.repository_restore(repository=kept, moderator=moderator, reason="x")

    assert services.user_unban(user=owner, moderator=moderator, reason="appeal accepted")
    owner.refresh_from_db()
    assert not owner.is_banned and owner.is_active and owner.ban_reason == ""
    kept.refresh_from_db()
    spam.refresh_from_db()
    assert not kept.is_hidden
    assert spam.is_hidden and spam.hidden_reason == "spam"  # hidden for its own reason
    assert [a for a, _, _ in log_entries()] == [Action.HIDE, Action.BAN, Action.UNBAN]
    assert log_entries()[1][1] == "alice (1 repositories hidden)"


def test_a_repository_hidden_by_a_ban_and_then_by_a_moderator_stays_hidden_after_unban(
    moderator, owner, public_repo
):
    services.user_ban(user=owner, moderator=moderator, reason="spam")
    services.repository_hide(repository=public_repo, moderator=moderator, reason="malware")
    services.user_unban(user=owner, moderator=moderator, reason="appeal accepted")
    public_repo.refresh_from_db()
    assert public_repo.is_hidden and public_repo.hidden_reason == "malware"


def test_staff_and_oneself_cannot_be_banned(moderator, staff):
    with pytest.raises(HubError, match="is staff"):
        services.user_ban(user=staff, moderator=moderator, reason="x")
    with pytest.raises(HubError, match="yourself"):
        services.user_ban(user=moderator, moderator=moderator, reason="x")
    assert not ModerationAction.objects.exists()


def test_reports_one_open_per_user_and_repository(other, public_repo, moderator):
    report = services.report_create(
        repository=public_repo, reporter=other, reason="spam", text=" ads "
    )
    assert report.text == "ads" and report.status == ReportStatus.OPEN
    with pytest.raises(HubError, match="already reported"):
        services.report_create(repository=public_repo, reporter=other, reason="other", text="")
    services.report_close(report=report, moderator=moderator, status=ReportStatus.DISMISSED)
    services.report_create(repository=public_repo, reporter=other, reason="other", text="again")
    assert Report.objects.count() == 2
    assert log_entries() == [
        (Action.DISMISS, f"report #{report.pk} on alice/eth-volatility", ""),
    ]


def test_nobody_reports_their_own_repository(owner, public_repo):
    with pytest.raises(HubError, match="your own"):
        services.report_create(repository=public_repo, reporter=owner, reason="spam", text="")


@override_settings(HUB_REPORTS_PER_DAY=3)
def test_one_account_cannot_flood_the_queue(other, owner):
    repos = [RepositoryFactory(owner=owner, name=f"r{i}") for i in range(4)]
    for repo in repos[:3]:
        services.report_create(repository=repo, reporter=other, reason="spam", text="")
    with pytest.raises(HubError, match="3 reports in the last 24 hours"):
        services.report_create(repository=repos[3], reporter=other, reason="spam", text="")
    assert Report.objects.count() == 3


def test_deleting_an_unsafe_file_is_recorded_and_keeps_the_path_reserved(
    moderator, public_repo, shared_storage
):
    release = public_repo.releases.get()
    rf = file_add_content(release=release, path="evil.onnx", data=b"MZ payload", user=None)
    services.file_delete_unsafe(
        release_file=rf, moderator=moderator, reason="malware", base_url="http://testserver/"
    )
    assert not ReleaseFile.objects.exists()
    assert DeletedPath.objects.filter(release=release, path="evil.onnx").exists()
    (action, target, reason) = log_entries()[0]
    assert action == Action.DELETE_FILE and reason == "malware"
    assert target.startswith("alice/eth-volatility v1.00 evil.onnx (bafkrei")


def test_the_content_of_an_unsafe_file_is_blocked_everywhere(
    moderator, owner, other, personas, public_repo, shared_storage
):
    import hashlib
    import json

    from django.urls import reverse

    from hub.errors import Blocked
    from releases.models import Upload
    from releases.services.verification import upload_complete

    data = b"MZ payload, twice"
    release = public_repo.releases.get()
    rf = file_add_content(release=release, path="evil.onnx", data=data, user=None)
    mirror = RepositoryFactory(owner=other, name="mirror")
    file_add_content(release=mirror.releases.get(), path="copy.onnx", data=data, user=None)
    blob_id = rf.blob.blob_id
    services.file_delete_unsafe(
        release_file=rf, moderator=moderator, reason="malware", base_url="http://testserver/"
    )

    # The copy elsewhere is no longer served, by path or by Blob ID.
    assert personas["anonymous"].get("/bob/mirror/resolve/v1.00/copy.onnx").status_code == 410
    assert personas["other"].get(reverse("blob_download", args=[blob_id])).status_code == 410
    page = personas["other"].get("/bob/mirror/releases/v1.00/files/copy.onnx").content.decode()
    assert "removed this content from the hub as unsafe" in page
    # Nobody can put the same bytes back: not the owner at the old path, not anyone elsewhere.
    with pytest.raises(Blocked, match="does not accept this file"):
        file_add_content(release=release, path="evil.onnx", data=data, user=owner)
    # The plan and the start of an upload answer as for any new content: they must not tell
    # anyone that these bytes are (or were) on the hub. The transfer is then refused.
    digest = hashlib.sha256(data).hexdigest()
    plan = (
        personas["owner"]
        .post(
            "/api/v1/repos/alice/eth-volatility/releases/v1.00/plan",
            json.dumps({"files": [{"path": "evil.onnx", "size": len(data), "sha256": digest}]}),
            content_type="application/json",
        )
        .json()
    )
    assert plan["files"][0]["action"] == "upload"
    start = personas["owner"].post(
        "/api/v1/repos/alice/eth-volatility/releases/v1.00/uploads",
        json.dumps({"path": "again.onnx", "size": len(data), "sha256": digest}),
        content_type="application/json",
    )
    assert start.status_code == 201
    upload = start.json()
    chunk = personas["owner"].put(
        f"{upload['url']}/chunks/0", data, content_type="application/octet-stream"
    )
    assert chunk.json()["status"] == "verifying"
    upload_complete(upload=Upload.objects.get(id=upload["id"]))
    refused = personas["owner"].get(upload["url"]).json()
    assert refused["status"] == "failed"
    assert refused["error"] == "The hub does not accept this file; nothing was added."
    assert ReleaseFile.objects.filter(release=release).count() == 0


def test_the_log_keeps_its_entries_when_targets_and_moderators_go(moderator, public_repo):
    other_mod = UserFactory(username="temp-mod", is_staff=True)
    services.repository_hide(repository=public_repo, moderator=other_mod, reason="spam")
    public_repo.delete()
    other_mod.delete()
    entry = ModerationAction.objects.get()
    assert (entry.repository, entry.moderator) == (None, None)
    assert (entry.moderator_name, entry.target) == ("temp-mod", "alice/eth-volatility")
