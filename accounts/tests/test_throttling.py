"""Log-in and sign-up throttling: guessing passwords or making accounts in bulk is paused,
with a clear message and 429, while everyone else goes on."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(username: str, password: str, address: str):
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_an_account_is_paused_after_five_wrong_passwords_from_anywhere(settings):
    UserFactory(username="alice")
    UserFactory(username="bob")
    answers = [
        _login("Alice" if n % 2 else "alice", "guess", f"10.0.0.{n}").status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers == [200, 200, 200, 200, 429]  # the form again, then the pause
    paused = _login("alice", PASSWORD, "10.0.1.1")  # even the right password, from elsewhere
    assert paused.status_code == 429
    assert "Try again in 15 minutes" in paused.content.decode()
    assert paused["Retry-After"] == "900"
    assert "_auth_user_id" not in paused.client.session
    assert _login("bob", PASSWORD, "10.0.1.1").status_code == 302  # others log in as usual


def test_an_address_is_paused_after_five_failures_whatever_the_accounts():
    UserFactory(username="carol")
    answers = [_login(f"nobody{n}", "guess", "10.0.2.2").status_code for n in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    assert _login("carol", PASSWORD, "10.0.2.2").status_code == 429
    assert _login("carol", PASSWORD, "10.0.2.3").status_code == 302


def test_a_successful_log_in_clears_the_count():
    UserFactory(username="dave")
    for _ in range(4):
        _login("dave", "guess", "10.0.3.3")
    assert _login("dave", PASSWORD, "10.0.3.3").status_code == 302
    for _ in range(4):
        assert _login("dave", "guess", "10.0.3.3").status_code == 200
    assert _login("dave", PASSWORD, "10.0.3.3").status_code == 302


def test_sign_ups_from_one_address_are_limited(settings):
    settings.HUB_SIGNUPS_PER_HOUR = 3

    def signup(n: int, address: str):
        return Client(REMOTE_ADDR=address).post(
            "/accounts/signup/",
            {
                "username": f"new{n}-{address.replace('.', '-')}",
                "email": f"new{n}@{address}.example.com",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )

    assert [signup(n, "10.0.4.4").status_code for n in range(3)] == [302, 302, 302]
    refused = signup(3, "10.0.4.4")
    assert refused.status_code == 429
    assert "Try again in an hour" in refused.content.decode()
    assert signup(4, "10.0.4.5").status_code == 302
