"""Changing the e-mail address: a signed, expiring link to the new address; the address
changes only when the same user follows it; the old address is told; one account an address,
whatever its case."""

import time
from unittest import mock

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.conftest import link_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask(client, email: str, password: str = PASSWORD):
    return client.post(reverse("email_change"), {"email": email, "password": password})


def test_the_new_address_confirms_the_change_and_the_old_one_is_told(alice, mail):
    client = logged_in(alice)
    with mail.sending():
        answer = ask(client, "Alice.New@Example.COM")
    assert answer.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # nothing changes before the link is followed
    (message,) = mail.outbox
    assert message.to == ["Alice.New@example.com"]
    assert "Confirm your new e-mail address" in message.subject
    link = link_in(message)
    page = client.get(link)
    assert page.status_code == 200 and "Alice.New@example.com" in page.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # a GET (a mail scanner) changes nothing
    with mail.sending():
        done = client.post(link, follow=True)
    assert "Your e-mail address is now Alice.New@example.com" in done.content.decode()
    alice.refresh_from_db()
    assert alice.email == "Alice.New@example.com"
    notice = mail.outbox[1]
    assert notice.to == ["alice@example.com"]
    assert "changed to Alice.New@example.com" in notice.body
    again = client.post(link)
    assert again.status_code == 400 and "used already" in again.content.decode()


def test_a_wrong_password_changes_nothing_and_mails_nothing(alice, mail):
    with mail.sending():
        answer = ask(logged_in(alice), "new@example.com", password="guess")
    assert answer.status_code == 400
    assert "not your current password" in " ".join(answer.context["form"].errors["password"])
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "says"),
    [("alice@example.com", "your address already"), ("ALICE@example.com", "already")],
)
def test_the_same_address_is_refused(alice, mail, email, says):
    answer = ask(logged_in(alice), email)
    assert answer.status_code == 400 and says in answer.content.decode()


def test_an_address_another_account_uses_gets_a_note_and_the_requester_learns_nothing(alice, mail):
    UserFactory(username="bob", email="bob@example.com")
    with mail.sending():
        taken = ask(logged_in(alice), "BOB@example.com")
        free = ask(logged_in(alice), "free@example.com")
    assert taken.status_code == free.status_code == 302
    note, link = mail.outbox
    assert note.to == ["BOB@example.com"] and "already has an account" in note.subject
    assert "testserver" not in note.body  # no link to follow
    assert link.to == ["free@example.com"]


def test_a_link_works_only_for_the_account_it_was_made_for(alice, mail):
    with mail.sending():
        ask(logged_in(alice), "new@example.com")
    link = link_in(mail.outbox[0])
    bob = UserFactory(username="bob", email="bob@example.com")
    answer = logged_in(bob).post(link)
    assert answer.status_code == 400 and "another account" in answer.content.decode()
    bob.refresh_from_db()
    alice.refresh_from_db()
    assert (alice.email, bob.email) == ("alice@example.com", "bob@example.com")
    visitor = Client().get(link)
    assert visitor.status_code == 302
    assert visitor["Location"] == f"{reverse('login')}?next={link.replace(':', '%3A')}"


def test_an_old_or_tampered_link_changes_nothing(alice, mail, settings):
    real = time.time()
    with mock.patch("django.core.signing.time") as clock, mail.sending():
        clock.time.return_value = real - settings.HUB_EMAIL_CHANGE_SECONDS - 60
        ask(logged_in(alice), "new@example.com")
    link = link_in(mail.outbox[0])
    client = logged_in(alice)
    expired = client.post(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = client.post(reverse("email_change_confirm", args=[token[:-2] + "xx"]))
    assert forged.status_code == 400 and "not valid" in forged.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_an_address_taken_after_the_link_was_sent_is_refused(alice, mail):
    with mail.sending():
        ask(logged_in(alice), "new@example.com")
    UserFactory(username="carol", email="NEW@example.com")
    answer = logged_in(alice).post(link_in(mail.outbox[0]))
    assert answer.status_code == 400 and "Another account uses this address" in (
        answer.content.decode()
    )
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_addresses_are_unique_whatever_their_case_in_the_database(alice):
    with pytest.raises(IntegrityError):
        User.objects.create(username="bob", email="ALICE@example.com")


def test_accounts_without_an_address_are_not_counted(db):
    User.objects.create(username="root1", email="")
    User.objects.create(username="root2", email="")


def test_change_requests_are_limited_per_account(alice, mail, settings):
    settings.HUB_ACCOUNT_MAILS_PER_HOUR = 2
    client = logged_in(alice)
    answers = [ask(client, f"new{n}@example.com").status_code for n in range(3)]
    assert answers == [302, 302, 429]
    assert ask(client, "new9@example.com", password="guess").status_code == 429  # no guessing
