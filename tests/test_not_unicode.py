"""Text that is not Unicode: JSON may escape a lone surrogate ("\\ud800"), which Python parses
but nothing can encode, store or render. The JSON doors refuse it with a 400 and keep nothing
(the uploader's plan answers it file by file, as "invalid": tests of the uploads); the
renderer handed such text refuses it with a reason."""

import pytest
from django.test import Client

from accounts import tokens
from hub.markdown import Unrenderable, render_markdown
from releases.models import Release, ReleaseFile
from repos.models import Repository

pytestmark = pytest.mark.django_db

LONE = "\\ud800"  # as JSON writes it: six characters on the wire


def token_client(user) -> Client:
    _token, raw = tokens.token_create(user=user, name="t", scope="write")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("text", ["a\ud800", "x" * 300 + "\udfff"])  # in process, in a child
def test_the_renderer_refuses_text_that_is_not_unicode(text):
    with pytest.raises(Unrenderable, match="not Unicode"):
        render_markdown(text)


def test_a_valid_surrogate_pair_is_an_ordinary_character(owner, public_repo):
    answer = token_client(owner).patch(
        f"/api/v1/repos/alice/{public_repo.name}",
        '{"description": "smile \\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert answer.status_code == 200
    public_repo.refresh_from_db()
    assert public_repo.description == "smile \N{GRINNING FACE}"


@pytest.mark.parametrize("body", [
    f'{{"description": "a{LONE}"}}',
    f'{{"description": "{"x" * 300}{LONE}"}}',
    f'{{"tags": ["t{LONE}"]}}',
])  # fmt: skip
def test_api_v1_refuses_a_lone_surrogate_in_a_repository_edit(owner, public_repo, body):
    before = Repository.objects.values().get(pk=public_repo.pk)
    answer = token_client(owner).patch(
        f"/api/v1/repos/alice/{public_repo.name}", body, content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    assert Repository.objects.values().get(pk=public_repo.pk) == before


def test_api_v1_refuses_a_lone_surrogate_in_release_notes(owner, public_repo):
    count = Release.objects.count()
    answer = token_client(owner).post(
        f"/api/v1/repos/alice/{public_repo.name}/releases",
        f'{{"bump": "minor", "notes": "n{LONE}"}}',
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert Release.objects.count() == count


def test_the_opengradient_door_refuses_a_lone_surrogate(owner):
    answer = token_client(owner).post(
        "/api/v0/models/",
        f'{{"name": "m", "description": "d{LONE}"}}',
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "not Unicode" in answer.json()["error"]
    assert not Repository.objects.filter(name="m").exists()


def test_the_huggingface_hub_commit_refuses_a_lone_surrogate(owner, public_repo):
    lines = [
        '{"key": "header", "value": {"summary": "s", "description": ""}}',
        '{"key": "file", "value": {"path": "a\\ud800.txt", "content": "", "encoding": "base64"}}',
    ]
    answer = token_client(owner).post(
        f"/api/models/alice/{public_repo.name}/commit/main",
        "\n".join(lines),
        content_type="application/x-ndjson",
    )
    assert answer.status_code == 400
    assert "not Unicode" in answer["X-Error-Message"]
    assert not ReleaseFile.objects.exists()
