"""Markdown written to hurt the renderer, at every door that renders it: the model card
(form, API, repository page), release notes (form, API), a README's file page and the
editor's preview. Writers are refused with the reason; what is stored already renders
degraded; nothing is a 500 or a page of hundreds of MB, and nothing oversized is cached."""

import importlib
import json

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from accounts import tokens
from hub.markdown import MAX_HTML_CHARS
from releases import previews
from releases.models import Release
from releases.services.files import file_add_content
from repos.models import Repository
from tests.factories import RepositoryFactory
from tests.hostile_markdown import nested_list, reference_bomb

pytestmark = pytest.mark.django_db

HOSTILE = {"reference bomb": reference_bomb(), "300-level list": nested_list(300)}
REASONS = {"reference bomb": "too large to render", "300-level list": "nested too deeply"}
both = pytest.mark.parametrize("kind", list(HOSTILE))


def api_client(user) -> Client:
    _token, raw = tokens.token_create(user=user, name="test", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client: Client, method: str, url: str, body: dict):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def repo_url(repo, view: str, **kwargs) -> str:
    return reverse(view, kwargs={"owner": repo.owner.username, "name": repo.name, **kwargs})


@both
def test_a_card_that_cannot_be_rendered_is_refused_by_the_forms(personas, public_repo, kind):
    created = personas["owner"].post(
        reverse("repo_create"),
        {"name": "bomb", "task": "1", "license": "1", "visibility": "public",
         "description": HOSTILE[kind]},
    )  # fmt: skip
    assert created.status_code == 200
    assert REASONS[kind] in created.context["form"].errors["description"][0]
    assert not Repository.objects.filter(name="bomb").exists()
    edited = personas["owner"].post(
        repo_url(public_repo, "repo_edit"),
        {"description": HOSTILE[kind], "task": "2", "license": "2", "tags": "a"},
    )
    assert edited.status_code == 200
    assert REASONS[kind] in edited.context["form"].errors["description"][0]
    public_repo.refresh_from_db()
    assert public_repo.description == "# A model\n\nIt predicts things."


@both
def test_the_api_answers_a_400_problem_for_such_a_card_or_notes(owner, public_repo, kind):
    api = api_client(owner)
    created = send(api, "post", "/api/v1/repos", {"name": "bomb", "description": HOSTILE[kind]})
    patched = send(
        api, "patch", "/api/v1/repos/alice/eth-volatility", {"description": HOSTILE[kind]}
    )
    release = send(api, "post", "/api/v1/repos/alice/eth-volatility/releases",
                   {"bump": "minor", "notes": HOSTILE[kind]})  # fmt: skip
    sdk = send(api, "post", "/api/v0/models/", {"name": "bomb2", "description": HOSTILE[kind]})
    for answer in (created, patched, release, sdk):
        assert answer.status_code == 400, answer.content[:300]
        assert answer["Content-Type"] == "application/problem+json"
        assert REASONS[kind] in answer.json()["detail"]
    assert created.json()["field"] == patched.json()["field"] == "description"
    assert release.json()["field"] == "notes"
    assert not Repository.objects.filter(name__startswith="bomb").exists()
    assert Release.objects.filter(repository=public_repo).count() == 1


@both
def test_release_notes_that_cannot_be_rendered_are_refused_by_the_form(personas, public_repo, kind):
    response = personas["owner"].post(
        repo_url(public_repo, "release_create"), {"bump": "minor", "notes": HOSTILE[kind]}
    )
    assert response.status_code == 200
    assert REASONS[kind] in response.content.decode()
    assert Release.objects.filter(repository=public_repo).count() == 1


@both
def test_a_readme_that_cannot_be_rendered_shows_as_plain_text(local_storage, personas, owner, kind):
    repo = RepositoryFactory(owner=owner)
    rf = file_add_content(
        release=repo.latest_release, path="README.md", data=HOSTILE[kind].encode(), user=owner
    )
    url = repo.url("file_detail", version=rf.release.version, path=rf.path)
    for who, client in personas.items():
        response = client.get(url)
        assert response.status_code == 200, who
        body = response.content.decode()
        assert REASONS[kind] in body and "It is shown as plain text." in body
        assert "- item" in body or "[x] [x]" in body  # the text itself, not links
        assert len(body) < 2 * MAX_HTML_CHARS
    default_storage.delete(rf.blob.storage_key)  # what the next page shows is the cached one
    cached = previews.file_preview(rf)
    assert cached.fallback and REASONS[kind] in cached.note
    assert len(cached.html) < MAX_HTML_CHARS


def test_a_card_stored_before_the_bounds_shows_why_instead_of_its_html(personas, public_repo):
    huge = "<p>" + "x" * (MAX_HTML_CHARS + 10) + "</p>"
    Repository.objects.filter(pk=public_repo.pk).update(description_html=huge)
    Release.objects.filter(repository=public_repo).update(notes_html=huge)
    migration = importlib.import_module("releases.migrations.0011_oversized_markdown")
    migration.replace_oversized(apps, None)
    page = personas["anonymous"].get(public_repo.get_absolute_url()).content.decode()
    assert "too large to render" in page and len(page) < MAX_HTML_CHARS
    release = personas["anonymous"].get(repo_url(public_repo, "release_detail", version=(1, 0)))
    assert "too large to render" in release.content.decode()


@both
def test_the_editor_preview_says_why_instead_of_rendering(personas, kind):
    preview = reverse("markdownx_markdownify")
    response = personas["other"].post(preview, {"content": HOSTILE[kind]})
    assert response.status_code == 200
    assert REASONS[kind] in response.content.decode() and len(response.content) < 500
