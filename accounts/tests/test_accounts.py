import pytest
from django.urls import reverse

from accounts.forms import SignupForm
from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "carol",
    "email": "carol@example.com",
    "password1": "a-long-passphrase-42",
    "password2": "a-long-passphrase-42",
}


def test_it_signs_up_and_logs_in(client):
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("repo_create")
    user = User.objects.get(username="carol")
    assert client.get(reverse("home")).context["user"] == user


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
    assert response.status_code == 200
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


def test_a_sign_up_that_loses_a_race_for_the_address_gets_a_message(client, monkeypatch):
    UserFactory(username="dora", email="carol@example.com")
    # As if the other account was made between the form's check and the insert.
    monkeypatch.setattr(SignupForm, "clean_email", lambda form: form.cleaned_data["email"])
    monkeypatch.setattr(User, "validate_constraints", lambda user, exclude=None: None)
    response = client.post(reverse("signup"), {**SIGNUP, "email": "CAROL@example.com"})
    assert response.status_code == 200
    assert "just taken" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()
