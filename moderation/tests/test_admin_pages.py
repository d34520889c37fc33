"""Every page of the admin opens, for a superuser and for a moderator: each model's list and
the change page of one of its objects. A moderator may be refused a page (403), never a 500."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from inference.models import Mode
from inference.tests.helpers import make_job, onnx_file
from moderation import services
from moderation.tests.conftest import client_for
from releases.models import Blob, Upload
from repos.services import repository_rename
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(owner, other, moderator, superuser, shared_storage):
    """At least one object of every model the admin lists."""
    repo = RepositoryFactory(owner=owner, name="full-house", tags=["onnx"])
    repository_rename(repository=repo, new_name="full-house-2")
    rf = onnx_file(repo, "risk.onnx")
    Upload.objects.create(
        release=rf.release, user=owner, path="big.bin", size=10, sha256="0" * 64, chunk_size=8
    )
    make_job(rf, superuser, Mode.VANILLA, enqueue=False)
    report = services.report_create(repository=repo, reporter=other, reason="spam", text="Spam.")
    services.repository_hide(repository=repo, moderator=moderator, reason="Spam.")
    services.report_close(report=report, moderator=moderator, status="resolved")
    victim = UserFactory(username="spammer")
    services.user_ban(user=victim, moderator=moderator, reason="Spam.")
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now(), blocked_reason="x")
    return repo


@pytest.mark.parametrize("who", ["superuser", "moderator"])
def test_every_admin_list_and_change_page_opens(everything, who, request):
    client = client_for(request.getfixturevalue(who))
    opened = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = client.get(changelist)
        assert response.status_code in (200, 403), (changelist, response.status_code)
        if response.status_code == 403:
            assert who == "moderator", changelist
            continue
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is None:
            continue
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        page = client.get(change)
        assert page.status_code in (200, 403), (change, page.status_code)
        opened.append(meta.label)
    # The moderation log opens for both (it used to be a 500), and so do the queue and users.
    assert {"moderation.ModerationAction", "moderation.Report", "accounts.User"} <= set(opened)
    if who == "superuser":
        assert {"releases.Blob", "releases.ReleaseFile", "inference.InferenceJob"} <= set(opened)


def test_admin_actions_speak_proper_plurals(moderator, owner):
    from django.contrib.admin import helpers

    client = client_for(moderator)
    repos = [RepositoryFactory(owner=owner, name=name).pk for name in ("one", "two")]
    url = reverse("admin:repos_repository_changelist")

    def act(action: str, pks) -> str:
        data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]}
        return client.post(url, data, follow=True).content.decode()

    assert "Featured 1 repository." in act("feature_repositories", repos[:1])
    assert "Featured 1 repository." in act("feature_repositories", repos)  # one was already
    assert "Stopped featuring 2 repositories." in act("unfeature_repositories", repos)
