"""Log-in and sign-up throttling: guessing passwords or making accounts in bulk is paused,
with a clear message and 429, while everyone else goes on."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(username: str, password: str, address: str):
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_an_account_is_paused_for_one_address_after_five_wrong_passwords_from_it(settings):
    UserFactory(username="alice")
    answers = [
        _login("Alice" if n % 2 else "alice", "guess", "10.0.0.1").status_code
        for n in range(settings.HUB_LOGIN_FAILURE_LIMIT)
    ]
    assert answers == [200, 200, 200, 200, 429]  # the form again, then the pause
    paused = _login("alice", PASSWORD, "10.0.0.1")  # even the right password, from there
    assert paused.status_code == 429
    assert "Try again in 15 minutes" in paused.content.decode()
    clock = {  # a clock time, not only a count (the minute may turn meanwhile)
        timezone.localtime(timezone.now() + timedelta(minutes=15, seconds=s)).strftime("%H:%M")
        for s in (-60, 0)
    }
    assert any(f"by {hh_mm}" in paused.content.decode() for hh_mm in clock)
    assert paused["Retry-After"] == "900"
    assert 'href="/accounts/password/reset/">Reset my password' in paused.content.decode()
    assert "_auth_user_id" not in paused.client.session
    assert _login("alice", PASSWORD, "10.0.1.1").status_code == 302  # its owner, elsewhere


def _minutes_pass(minutes: int) -> None:
    """Move every recorded failure `minutes` into the past, as if that time had gone by."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def _recorded() -> list:
    return list(
        AccessAttempt.objects.order_by("username", "ip_address").values_list(
            "username", "ip_address", "failures_since_start", "attempt_time"
        )
    )


def test_many_wrong_passwords_from_many_addresses_pause_those_addresses_for_the_account(
    settings,
):
    """Past the account-wide limit each address that guessed at the account is refused even
    with the right password, and every other address gets a single guess."""
    UserFactory(username="alice")
    UserFactory(username="bob")
    limit = settings.HUB_LOGIN_ACCOUNT_FAILURE_LIMIT
    answers = [_login("alice", "guess", f"10.0.0.{n}").status_code for n in range(limit)]
    assert answers == [200] * (limit - 1) + [429]
    assert _login("alice", PASSWORD, "10.0.0.3").status_code == 429  # it guessed before
    assert _login("alice", "guess", "10.0.9.9").status_code == 429  # a new address: one try
    assert _login("alice", PASSWORD, "10.0.9.9").status_code == 429  # and no second one
    assert _login("bob", PASSWORD, "10.0.0.3").status_code == 302  # others log in as usual


def test_strangers_guessing_from_many_addresses_do_not_keep_the_owner_out(settings):
    """The account-wide count slows guessing but does not deny the owner the account: from
    an address with a clean record for it, the right password still logs in. And the owner's
    log-in does not hand the guessers a fresh allowance."""
    UserFactory(username="victim")
    guessers = [f"203.0.113.{n}" for n in range(4)]
    for address in guessers:
        for _ in range(settings.HUB_LOGIN_ACCOUNT_FAILURE_LIMIT // len(guessers)):
            _login("victim", "guess", address)
    assert _login("victim", "guess", guessers[0]).status_code == 429
    assert _login("victim", PASSWORD, "198.51.100.7").status_code == 302
    assert [_login("victim", "guess", address).status_code for address in guessers] == [429] * 4


def test_attempts_during_a_pause_neither_count_nor_extend_it(settings):
    """The reviewer's case: an account locked by 20 wrong passwords from four addresses,
    which then send one more every 13 minutes. Those attempts are refused and not recorded,
    so the pause ends 15 minutes after the last counted failure, and the owner, who had
    mistyped once from home and so is paused with the rest, logs in then."""
    UserFactory(username="victim")
    home = "198.51.100.7"
    guessers = [f"203.0.113.{n}" for n in range(4)]
    assert _login("victim", "typo", home).status_code == 200
    for address in guessers:
        for _ in range(5):
            _login("victim", "guess", address)
    assert _login("victim", PASSWORD, home).status_code == 429
    counted = _recorded()
    _minutes_pass(12)
    before = _recorded()
    assert [_login("victim", "guess", address).status_code for address in guessers] == [429] * 4
    assert _login("victim", PASSWORD, home).status_code == 429
    assert _recorded() == before  # nothing counted, no cool-off restarted
    assert [row[:3] for row in before] == [row[:3] for row in counted]
    _minutes_pass(4)  # 16 minutes after the last counted failure
    assert _login("victim", PASSWORD, home).status_code == 302


def test_the_right_password_during_a_pause_is_not_recorded_as_a_failure(settings):
    UserFactory(username="alice")
    for _ in range(settings.HUB_LOGIN_FAILURE_LIMIT):
        _login("alice", "guess", "10.0.0.1")
    before = _recorded()
    assert [row[2] for row in before] == [settings.HUB_LOGIN_FAILURE_LIMIT]
    for _ in range(3):
        assert _login("alice", PASSWORD, "10.0.0.1").status_code == 429
    assert _recorded() == before
    _minutes_pass(settings.AXES_COOLOFF_TIME.seconds // 60 + 1)
    assert _login("alice", PASSWORD, "10.0.0.1").status_code == 302


def test_failures_for_made_up_names_from_one_address_lock_no_one_out(settings):
    """Behind a proxy without TRUSTED_PROXIES, or in one office, many people share an
    address: a few wrong guesses there pause nobody else's log-in."""
    UserFactory(username="carol")
    answers = [_login(f"nobody{n}", "guess", "10.0.2.2").status_code for n in range(10)]
    assert answers == [200] * 10
    assert _login("carol", PASSWORD, "10.0.2.2").status_code == 302


def test_an_address_is_paused_after_many_failures_whatever_the_accounts(settings):
    UserFactory(username="carol")
    limit = settings.HUB_LOGIN_ADDRESS_FAILURE_LIMIT
    answers = [_login(f"nobody{n}", "guess", "10.0.2.2").status_code for n in range(limit)]
    assert answers == [200] * (limit - 1) + [429]
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


def test_logging_in_to_ones_own_account_does_not_clear_guesses_at_another():
    UserFactory(username="erin")
    UserFactory(username="mallory")
    for _ in range(4):
        assert _login("erin", "guess", "10.0.5.5").status_code == 200
    assert _login("mallory", PASSWORD, "10.0.5.5").status_code == 302
    assert _login("erin", "guess", "10.0.5.5").status_code == 429


def _through_proxy(username: str, password: str, client_address: str):
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.9, {client_address}")
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(settings):
    """The nginx of docs/deploy.md: every request comes from 127.0.0.1, and the client's
    address is the one nginx appended to X-Forwarded-For (the first entry is the client's own
    claim, never believed)."""
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    UserFactory(username="frank")
    answers = [_through_proxy("frank", "guess", "198.51.100.7").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    assert _through_proxy("frank", PASSWORD, "198.51.100.7").status_code == 429
    assert _through_proxy("frank", PASSWORD, "198.51.100.8").status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(settings):
    settings.TRUSTED_PROXIES = []
    UserFactory(username="grace")
    for n in range(5):  # a guesser who writes a new X-Forwarded-For each time
        _through_proxy("grace", "guess", f"198.51.100.{n}")
    assert _through_proxy("grace", PASSWORD, "198.51.100.99").status_code == 429


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


def test_sign_ups_behind_a_trusted_proxy_are_limited_per_client(settings):
    settings.HUB_SIGNUPS_PER_HOUR = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    def signup(n: int, client_address: str):
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address).post(
            "/accounts/signup/",
            {
                "username": f"proxied{n}",
                "email": f"proxied{n}@example.com",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )

    assert signup(1, "198.51.100.1").status_code == 302
    assert signup(2, "198.51.100.1").status_code == 429
    assert signup(3, "198.51.100.2").status_code == 302
