import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import PendingSignup, User
from accounts.tests.conftest import link_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "carol",
    "email": "carol@example.com",
    "password1": "a-long-passphrase-42",
    "password2": "a-long-passphrase-42",
}


def test_it_signs_up_from_the_link_mailed_to_the_address_and_logs_in(client, mail):
    with mail.sending():
        response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302 and response["Location"] == reverse("signup_sent")
    assert "Check your mail" in client.get(response["Location"]).content.decode()
    assert not User.objects.filter(username="carol").exists()  # not before the link
    (message,) = mail.outbox
    assert message.to == ["carol@example.com"] and "carol" in message.body
    link = link_in(message)
    page = client.get(link)  # a mail scanner following the link makes nothing
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "Create the account" in page.content.decode()
    assert not User.objects.filter(username="carol").exists()
    made = client.post(link)
    assert made.status_code == 302 and made["Location"] == reverse("repo_create")
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.com" and user.check_password(SIGNUP["password1"])
    assert client.get(reverse("home")).context["user"] == user
    again = Client().post(link)
    assert again.status_code == 400 and "does not work" in again.content.decode()
    assert User.objects.filter(username="carol").count() == 1
    assert not PendingSignup.objects.exists()


def _sign_up(email: str, username: str) -> tuple:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("signup"), {**SIGNUP, "email": email, "username": username})
    shown = client.get(response["Location"]) if response.status_code == 302 else response
    # What the request did in the database, its values aside.
    work = [query["sql"].split(" WHERE ")[0].split(" VALUES ")[0] for query in queries]
    return response.status_code, response.get("Location"), shown.content, work


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(mail):
    owner = UserFactory(username="dora", email="carol@example.com")
    with mail.sending():
        taken = _sign_up("CAROL@example.com", "carol")
        free = _sign_up("erin@example.com", "erin")
    assert taken[:3] == free[:3]  # the same status, redirect and page
    assert taken[3] == free[3]  # and the same work: nothing looks the address up
    assert b"exists already" not in taken[2]
    notice, link = sorted(mail.outbox, key=lambda message: message.to[0])
    assert notice.to == ["CAROL@example.com"]
    assert "already belongs to your account dora" in notice.body
    assert "/accounts/signup/confirm/" not in notice.body
    assert "/accounts/password/reset/" in notice.body
    assert link.to == ["erin@example.com"] and "/accounts/signup/confirm/" in link.body
    assert list(User.objects.values_list("username", flat=True).order_by("pk")) == ["dora"]
    assert list(PendingSignup.objects.values_list("username", flat=True)) == ["erin"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_sign_ups_naming_one_address_are_limited_whether_it_has_an_account_or_not(settings, mail):
    settings.HUB_ACCOUNT_MAILS_PER_HOUR = 2
    UserFactory(username="dora", email="dora@example.com")
    answers = {
        email: [_sign_up(email, f"{email[:4]}{n}")[0] for n in range(3)]
        for email in ("dora@example.com", "ghost@example.com")
    }
    assert answers == {"dora@example.com": [302, 302, 429], "ghost@example.com": [302, 302, 429]}


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("new", "reserved"),
        ("Admin", "reserved"),
        ("-carol", "starts and ends"),
        ("car ol", "letters, digits"),
        ("c" * 40, "at most 39"),
    ],
)
def test_it_refuses_bad_user_names(client, username, message):
    response = client.post(reverse("signup"), {**SIGNUP, "username": username})
    assert response.status_code == 400
    assert message in str(response.context["form"].errors["username"])
    assert not User.objects.filter(email="carol@example.com").exists()


def test_it_refuses_a_user_name_taken_in_another_case(client):
    UserFactory(username="Carol")
    response = client.post(reverse("signup"), SIGNUP)
    assert "taken" in str(response.context["form"].errors["username"])
    assert User.objects.filter(username__iexact="carol").count() == 1


def test_it_logs_in_whatever_the_case_of_the_name(client):
    UserFactory(username="Dave")
    response = client.post(reverse("login"), {"username": "dave", "password": PASSWORD})
    assert response.status_code == 302


def test_it_logs_out_on_post(client):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_it_changes_the_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-7")


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_auth_pages_render(client):
    for name in ("login", "signup"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert b'class="auth-card"' in response.content


def _links(mail, *sign_ups: dict) -> list[str]:
    for form in sign_ups:
        with mail.sending():
            assert Client().post(reverse("signup"), {**SIGNUP, **form}).status_code == 302
    return [link_in(message) for message in mail.outbox]


def test_of_two_sign_ups_with_one_address_the_first_confirmed_gets_it(mail):
    first, second = _links(mail, {"username": "carol"}, {"username": "carol2"})
    assert Client().post(second).status_code == 302
    refused = Client().post(first)
    assert refused.status_code == 400
    assert "does not work" in refused.content.decode()  # the other sign-up was dropped
    assert list(User.objects.values_list("username", flat=True)) == ["carol2"]


def test_a_name_taken_since_the_sign_up_is_refused_when_confirming(mail):
    (link,) = _links(mail, {"username": "carol"})
    UserFactory(username="Carol")
    refused = Client().post(link)
    assert refused.status_code == 400
    assert "was taken since you signed up" in refused.content.decode()
    assert User.objects.filter(username__iexact="carol").count() == 1


def test_an_old_or_broken_link_makes_nothing(settings, mail):
    (link,) = _links(mail, {})
    assert "not valid" in Client().get(link[:-3] + "xyz/").content.decode()
    settings.HUB_SIGNUP_LINK_SECONDS = -1
    expired = Client().post(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert not User.objects.filter(username="carol").exists()


def test_the_password_is_checked_against_the_name_and_the_address(client):
    form = {**SIGNUP, "password1": "carol@example", "password2": "carol@example"}
    response = client.post(reverse("signup"), form)
    assert response.status_code == 400
    assert "too similar" in str(response.context["form"].errors["password2"])
    assert not PendingSignup.objects.exists()
