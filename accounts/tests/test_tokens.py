"""Personal access tokens: made once and shown once, hashed, scoped, revocable, expiring,
dead with their user's ban, exempt from CSRF (sessions are not), rate limited, and working
on the API doors and downloads only: never on an account page or the admin."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts import tokens
from accounts import urls as account_urls
from accounts.models import AccessToken
from tests.factories import PASSWORD, RepositoryFactory

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_page_makes_a_token_shows_it_once_and_stores_only_its_hash(personas, owner):
    page = personas["owner"].post(
        "/accounts/tokens/", {"name": "CI publishing", "scope": "write", "expires": "30"}
    )
    assert page.status_code == 201 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    token = AccessToken.objects.get(user=owner)
    raw = html.split('data-copy="', 1)[1].split('"', 1)[0]
    assert raw.startswith("hub_") and len(raw) > 40
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(AccessToken.objects.values()), default=str)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    again = personas["owner"].get("/accounts/tokens/").content.decode()
    assert raw not in again and token.prefix in again and "CI publishing" in again
    assert bearer(raw).get("/api/v1/whoami").json()["username"] == owner.username


def test_a_token_acts_as_its_user_on_the_api_doors(owner, private_repo):
    _token, raw = tokens.token_create(user=owner, name="reader", scope="read")
    client = bearer(raw)
    assert client.get(f"/api/v1/repos/{private_repo.full_name}").status_code == 200
    assert client.get(f"/api/models/{private_repo.full_name}").status_code == 200
    assert Client().get(f"/api/v1/repos/{private_repo.full_name}").status_code == 404
    # The downloads scripts follow outside /api/: here the (empty) release as a zip.
    assert client.get(f"/{private_repo.full_name}/releases/v1.00/zip").status_code == 200
    assert Client().get(f"/{private_repo.full_name}/releases/v1.00/zip").status_code == 404


def test_a_page_for_people_refuses_a_token(owner, private_repo):
    _token, raw = tokens.token_create(user=owner, name="reader", scope="read")
    page = bearer(raw).get(private_repo.get_absolute_url())
    assert page.status_code == 403
    assert page["Content-Type"] == "application/problem+json"
    assert "log in in a browser" in page.json()["detail"]


def _account_pages() -> list[str]:
    """Every page of accounts/urls.py, with made-up values for its parameters."""
    values = {"token_id": 1, "token": "x-y", "uidb64": "MQ"}
    return [
        reverse(pattern.name, kwargs={name: values[name] for name in pattern.pattern.converters})
        for pattern in account_urls.urlpatterns
        if isinstance(pattern, URLPattern)
    ]


ADMIN_PAGES = ["/admin/", "/admin/accounts/user/", "/admin/accounts/accesstoken/"]


@pytest.mark.parametrize("path", _account_pages() + ADMIN_PAGES)
def test_no_account_page_and_no_admin_page_takes_a_token(staff, path):
    """A staff member's write token: it neither mints tokens (one minted by an expiring token
    would never expire), nor changes the password or the address, nor opens the admin."""
    expiring = timezone.now() + timedelta(days=1)
    token, raw = tokens.token_create(user=staff, name="ci", scope="write", expires_at=expiring)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    form = {"name": "minted", "scope": "write", "expires": "", "old_password": PASSWORD}
    form |= {"new_password1": "taken-over-42!", "new_password2": "taken-over-42!"}
    for answer in (client.get(path), client.post(path, form)):
        assert answer.status_code == 403, path
        assert "log in in a browser" in answer.json()["detail"]
    assert list(AccessToken.objects.values_list("pk", flat=True)) == [token.pk]
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
    assert tokens.token_door(path) is False


def test_token_doors_are_the_api_and_the_downloads_its_clients_follow():
    doors = ["/api/v1/whoami", "/api/v0/models/", "/api/models/a/b", "/api/lfs/ticket"]
    doors += ["/a/b/resolve/main/x.onnx", "/a/b/resolve/latest/x", "/a/b/resolve/v1.00/x"]
    doors += ["/a/b.git/info/lfs/objects/batch", "/blobs/bafy", "/ipfs/bafy"]
    doors += ["/a/b/releases/v1.00/zip", "/api/v1/no-such-endpoint"]
    pages = ["/", "/models", "/new", "/a/", "/a/b/", "/a/b/settings/", "/a/b/releases/new/"]
    pages += ["/a/b/commit/main", "/markdownx/markdownify/", "/inference/jobs/", "/admin/x"]
    pages += ["/accounts/reset/resolve/x/", "/no/such/page/here"]
    assert [tokens.token_door(path) for path in doors] == [True] * len(doors)
    assert [tokens.token_door(path) for path in pages] == [False] * len(pages)


def test_a_read_token_changes_nothing(owner, public_repo):
    _token, raw = tokens.token_create(user=owner, name="reader", scope="read")
    response = bearer(raw).post(
        f"/api/v1/repos/{public_repo.full_name}/releases",
        json.dumps({"bump": "minor"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "may only read" in response.json()["detail"]
    assert public_repo.releases.count() == 1


@pytest.mark.parametrize("how", ["revoked", "expired", "banned", "deactivated", "mistyped"])
def test_a_dead_token_answers_401(owner, public_repo, how):
    token, raw = tokens.token_create(user=owner, name="ci", scope="write")
    if how == "revoked":
        tokens.token_revoke(user=owner, token_id=token.pk)
    elif how == "expired":
        AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif how == "banned":  # what moderation's ban does to the account (moderation is above)
        owner.banned_at, owner.ban_reason, owner.is_active = timezone.now(), "spam", False
        owner.save()
    elif how == "deactivated":
        owner.is_active = False
        owner.save()
    else:
        raw = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    response = bearer(raw).get("/api/v1/whoami")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert bearer(raw).get(f"/{public_repo.full_name}/resolve/latest/x.onnx").status_code == 401


def test_tokens_skip_csrf_and_sessions_do_not(owner, public_repo):
    _token, raw = tokens.token_create(user=owner, name="ci", scope="write")
    url = f"/api/v1/repos/{public_repo.full_name}/releases"
    body = json.dumps({"bump": "minor", "notes": "from CI"})
    with_token = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert with_token.post(url, body, content_type="application/json").status_code == 201
    session = Client(enforce_csrf_checks=True)
    session.force_login(owner)
    refused = session.post(url, body, content_type="application/json")
    assert refused.status_code == 401  # a cookie without its CSRF token proves nothing
    assert public_repo.releases.count() == 2


def test_only_the_owner_sees_and_revokes_a_token(personas, owner, other):
    token, raw = tokens.token_create(user=owner, name="ops-box-7", scope="read")
    assert "ops-box-7" not in personas["other"].get("/accounts/tokens/").content.decode()
    assert personas["other"].post(f"/accounts/tokens/{token.pk}/revoke").status_code == 404
    assert bearer(raw).get("/api/v1/whoami").status_code == 200
    assert personas["owner"].post(f"/accounts/tokens/{token.pk}/revoke").status_code == 302
    assert bearer(raw).get("/api/v1/whoami").status_code == 401
    assert personas["anonymous"].get("/accounts/tokens/").status_code == 302


def test_the_command_prints_a_working_token_last(owner, capsys):
    call_command("token_create", owner.username, "--scope", "write", "--name", "deploy")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    answer = bearer(raw).get("/api/v1/whoami").json()
    assert answer == {
        "username": owner.username,
        "auth": "token",
        "scope": "write",
        "token_name": "deploy",
    }


def test_a_busy_token_is_told_to_wait(owner, settings):
    settings.HUB_TOKEN_REQUESTS_PER_MINUTE = 3
    _token, raw = tokens.token_create(user=owner, name="loop", scope="read")
    client = bearer(raw)
    answers = [client.get("/api/v1/whoami").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/whoami")
    assert limited["Retry-After"] == "60" and "try again" in limited.json()["detail"]


def test_last_use_is_recorded(owner):
    token, raw = tokens.token_create(user=owner, name="ci", scope="read")
    assert token.last_used_at is None
    RepositoryFactory(owner=owner, name="x")
    bearer(raw).get("/api/v1/repos")
    token.refresh_from_db()
    assert token.last_used_at is not None
