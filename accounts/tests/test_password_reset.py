"""Password reset by e-mail: a link to the account's address, the same answer for every
address, nothing for banned accounts, and a limit on requests."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.tests.conftest import link_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase-81"


def ask(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def test_the_log_in_page_links_to_the_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page
    assert "Forgot your password?" in page


def test_a_mailed_link_sets_a_new_password_once(client, mail):
    user = UserFactory(username="alice", email="alice@example.com")
    with mail.sending():
        answer = ask(client, "  Alice@EXAMPLE.com ")
    assert answer.status_code == 302 and answer["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Reset your password" in message.subject and "alice" in message.body
    link = link_in(message)
    form = client.get(link, follow=True)  # Django moves the token out of the URL first
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    log_in = Client().post(reverse("login"), {"username": "alice", "password": NEW})
    assert log_in.status_code == 302
    again = Client().get(link, follow=True)
    assert not again.context["validlink"]
    assert "This link does not work" in again.content.decode()


def test_a_reset_revokes_the_accounts_access_tokens(client, mail):
    user = UserFactory(username="carol", email="carol@example.com")
    _, raw = tokens.token_create(user=user, name="left by someone", scope="write")
    assert tokens.token_authenticate(raw) is not None
    with mail.sending():
        ask(client, "carol@example.com")
    form = client.get(link_in(mail.outbox[0]), follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert "access tokens have been revoked" in done.content.decode()
    assert tokens.token_authenticate(raw) is None


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mail):
    UserFactory(username="alice", email="alice@example.com")
    with mail.sending():
        known = ask(client, "alice@example.com")
        unknown = ask(Client(), "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    page = client.get(known["Location"]).content.decode()
    assert "If an account uses that address" in page


def test_a_bad_address_gets_a_clear_message(client, mail):
    with mail.sending():
        answer = ask(client, "not an address")
    assert answer.status_code == 400
    assert "Enter a valid email address" in answer.content.decode()
    assert mail.outbox == []


def test_a_banned_account_gets_no_link(client, mail):
    UserFactory(
        username="spammer",
        email="spam@example.com",
        banned_at=timezone.now(),
        ban_reason="spam",
        is_active=False,
    )
    with mail.sending():
        answer = ask(client, "spam@example.com")
    assert answer["Location"] == reverse("password_reset_done")  # the answer of every address
    assert mail.outbox == []


def test_a_link_sent_before_a_ban_stops_working(client, mail):
    user = UserFactory(username="mallory", email="mallory@example.com")
    with mail.sending():
        ask(client, "mallory@example.com")
    link = link_in(mail.outbox[0])
    user.banned_at, user.is_active = timezone.now(), False
    user.save()
    page = client.get(link, follow=True)
    assert not page.context["validlink"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_requests_from_one_client_address_are_limited(settings, mail):
    settings.HUB_ACCOUNT_MAILS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="10.1.0.1")
    answers = [ask(client, f"someone{n}@example.com").status_code for n in range(3)]
    assert answers == [302, 302, 429]
    limited = ask(client, "someone-else@example.com")
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert "Too many password-reset requests" in limited.content.decode()
    assert ask(Client(REMOTE_ADDR="10.1.0.2"), "x@example.com").status_code == 302


def test_requests_naming_one_address_are_limited_whether_it_has_an_account_or_not(settings, mail):
    settings.HUB_ACCOUNT_MAILS_PER_HOUR = 2
    UserFactory(username="alice", email="alice@example.com")
    answers = {}
    with mail.sending():
        for email in ("alice@example.com", "ghost@example.com"):
            answers[email] = [
                ask(Client(REMOTE_ADDR=f"10.2.0.{n}"), email.upper() if n else email).status_code
                for n in range(3)
            ]
    assert answers == {"alice@example.com": [302, 302, 429], "ghost@example.com": [302, 302, 429]}
    assert len(mail.outbox) == 2  # alice's two; the refused request sent nothing


def test_a_reset_lifts_the_pause_of_an_account_locked_by_wrong_passwords(settings, mail):
    user = UserFactory(username="Alice", email="alice@example.com")
    Client(REMOTE_ADDR="10.3.1.1").post(  # the owner mistypes once, from home
        reverse("login"), {"username": "alice", "password": "typo"}
    )
    for n in range(settings.HUB_LOGIN_ACCOUNT_FAILURE_LIMIT):  # then guesses, from many addresses
        Client(REMOTE_ADDR=f"10.3.0.{n}").post(
            reverse("login"), {"username": "alice", "password": "guess"}
        )
    paused = Client(REMOTE_ADDR="10.3.1.1").post(
        reverse("login"), {"username": "alice", "password": PASSWORD}
    )
    assert paused.status_code == 429
    client = Client(REMOTE_ADDR="10.3.1.1")
    with mail.sending():
        ask(client, "alice@example.com")
    form = client.get(link_in(mail.outbox[0]), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    user.refresh_from_db()
    assert user.check_password(NEW)
    back = Client(REMOTE_ADDR="10.3.1.1").post(
        reverse("login"), {"username": "alice", "password": NEW}
    )
    assert back.status_code == 302
