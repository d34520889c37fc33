"""A hidden repository, and a banned account, through every page, list, search, download and
API answer, for each persona."""

import hashlib
import json

import pytest
from django.test import Client
from django.urls import reverse

from moderation import services
from releases.services.files import file_add_content
from repos.models import Task
from tests.factories import PASSWORD, RepositoryFactory

pytestmark = pytest.mark.django_db

CONTENT = b"weights of a model the moderators hid"


@pytest.fixture
def hidden(owner, moderator, shared_storage):
    repo = RepositoryFactory(owner=owner, name="shady-model", tags=["shadytag"])
    file_add_content(release=repo.releases.get(), path="model.onnx", data=CONTENT, user=owner)
    RepositoryFactory(owner=owner, name="fine-model")
    services.repository_hide(repository=repo, moderator=moderator, reason="Copies a paid model.")
    repo.refresh_from_db()
    return repo


def _page_urls(repo):
    rf = repo.releases.get().files.get()
    base = {"owner": repo.owner.username, "name": repo.name}
    return {
        "repository": reverse("repo_detail", kwargs=base),
        "releases": reverse("release_list", kwargs=base),
        "release": reverse("release_detail", kwargs={**base, "version": (1, 0)}),
        "file": reverse("file_detail", kwargs={**base, "version": (1, 0), "path": "model.onnx"}),
        "download": reverse("resolve", kwargs={**base, "version": (1, 0), "path": "model.onnx"}),
        "blob": reverse("blob_download", kwargs={"blob_id": rf.blob.blob_id}),
        "report": reverse("repo_report", kwargs=base),
    }


EXPECTED = {"owner": 200, "staff": 200, "other": 404, "anonymous": 404}


def test_a_hidden_repository_is_404_on_every_page_for_everyone_but_its_owner_and_staff(
    personas, hidden
):
    for name, url in _page_urls(hidden).items():
        for who, client in personas.items():
            response = client.get(url)
            expected = EXPECTED[who]
            if name == "report" and who in ("owner", "anonymous"):
                expected = {"owner": 200, "anonymous": 302}[who]  # own: refused; anon: log in
            assert response.status_code == expected, (name, who)


def test_its_owner_sees_it_with_a_banner_that_gives_the_reason(personas, hidden):
    html = personas["owner"].get(hidden.get_absolute_url()).content.decode()
    assert "Your repository is hidden by the moderators." in html
    assert "Reason: Copies a paid model." in html
    staff_html = personas["staff"].get(hidden.get_absolute_url()).content.decode()
    assert "This repository is hidden by the moderators." in staff_html


def test_it_disappears_from_browse_search_the_user_page_counts_and_tags(personas, owner, hidden):
    lists = [
        reverse("home"),
        reverse("model_list"),
        reverse("model_list") + "?q=shady",
        reverse("model_list") + "?tag=shadytag",
        reverse("model_list") + "?task=defi-forecasting",
        reverse("user_detail", kwargs={"username": owner.username}),
    ]
    defi = Task.objects.get(slug="defi-forecasting")
    for who, client in personas.items():
        visible = who in ("owner", "staff")
        for url in lists:
            html = client.get(url).content.decode()
            assert ("shady-model" in html) is visible, (who, url)
        listing = client.get(reverse("model_list"))
        assert listing.context["page"].paginator.count == (2 if visible else 1), who
        counts = {t.pk: t.repo_count for t in listing.context["tasks"]}
        assert counts[defi.pk] == (2 if visible else 1), who
        tags = {t.name for t in client.get("/").context["popular_tags"]}
        assert ("shadytag" in tags) is visible, who
    owner_list = personas["owner"].get(reverse("model_list")).content.decode()
    assert "badge-hidden" in owner_list


def test_duplicate_answers_do_not_reveal_its_files(personas, other, hidden):
    mine = RepositoryFactory(owner=other, name="my-model")
    plan = (
        personas["other"]
        .post(
            reverse(
                "files_plan",
                kwargs={"owner": other.username, "name": mine.name, "version": (1, 0)},
            ),
            json.dumps(
                {
                    "files": [
                        {
                            "path": "copy.onnx",
                            "size": len(CONTENT),
                            "sha256": hashlib.sha256(CONTENT).hexdigest(),
                        }
                    ]
                }
            ),
            content_type="application/json",
        )
        .json()
    )
    assert plan["files"][0]["action"] == "upload"
    assert "shady" not in json.dumps(plan)


def test_restoring_brings_it_back_for_everyone(personas, hidden, moderator):
    services.repository_restore(repository=hidden, moderator=moderator, reason="fixed")
    for who, client in personas.items():
        assert client.get(hidden.get_absolute_url()).status_code == 200, who
        assert "shady-model" in client.get(reverse("model_list")).content.decode(), who


def test_featured_repositories_are_shown_on_the_home_page_unless_hidden(
    personas, public_repo, moderator, django_assert_max_num_queries
):
    services.repository_feature(repository=public_repo, moderator=moderator)
    with django_assert_max_num_queries(8):
        home = personas["anonymous"].get("/")
    assert [r.name for r in home.context["featured"]] == ["eth-volatility"]
    assert "Featured" in home.content.decode()
    services.repository_hide(repository=public_repo, moderator=moderator, reason="spam")
    assert personas["anonymous"].get("/").context["featured"] == []


def test_a_banned_user_cannot_log_in_is_told_why_and_loses_open_sessions(owner, moderator):
    session = Client()
    session.force_login(owner)
    assert session.get(reverse("repo_create")).status_code == 200
    services.user_ban(user=owner, moderator=moderator, reason="Spam accounts are not allowed.")

    # The session already open no longer works, on pages and on the API.
    assert session.get(reverse("repo_create")).status_code == 302
    api = session.post(
        "/api/v1/repos/alice/x/releases/v1.00/plan", "{}", content_type="application/json"
    )
    assert api.status_code == 401

    login = Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    html = login.content.decode()
    assert "This account was banned by the moderators on" in html
    assert "Spam accounts are not allowed." in html
    # A wrong password says nothing about the ban.
    wrong = Client().post(reverse("login"), {"username": "alice", "password": "nope-nope-1"})
    assert "banned" not in wrong.content.decode()
    # The user's page and repositories are gone for others.
    assert Client().get("/alice/").status_code == 404


def test_unbanning_restores_login(owner, moderator):
    services.user_ban(user=owner, moderator=moderator, reason="spam")
    services.user_unban(user=owner, moderator=moderator, reason="appeal accepted")
    response = Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
