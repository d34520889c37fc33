"""The public profile: edited on the settings page by its owner, shown on the user page to
everyone, escaped, its links checked and marked as the user's own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import profile_update
from hub.errors import Invalid
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "display_name": "  Alice   Liddell ",
    "bio": "Models for\r\ncrypto markets.\r\n\r\n\r\n\r\nMostly ONNX.",
    "website_url": "alice.example.com/models",
    "github_url": "@alice-l",
    "x_url": "https://twitter.com/alice_l",
}


def test_the_owner_saves_a_profile_that_everyone_sees_on_the_user_page(owner, personas):
    answer = personas["owner"].post(reverse("account_settings"), PROFILE)
    assert answer.status_code == 302 and answer["Location"] == reverse("account_settings")
    owner.refresh_from_db()
    assert owner.display_name == "Alice Liddell"
    assert owner.bio == "Models for\ncrypto markets.\n\nMostly ONNX."
    assert owner.website_url == "https://alice.example.com/models"
    assert owner.github_url == "https://github.com/alice-l"
    assert owner.x_url == "https://twitter.com/alice_l"
    for who, client in personas.items():
        page = client.get(reverse("user_detail", args=["alice"])).content.decode()
        assert '<h1>Alice Liddell <span class="profile-username">alice</span></h1>' in page, who
        assert "Models for<br>crypto markets.<br><br>Mostly ONNX." in page
        for url, text in [
            ("https://alice.example.com/models", "alice.example.com/models"),
            ("https://github.com/alice-l", "github.com/alice-l"),
            ("https://twitter.com/alice_l", "@alice_l"),
        ]:
            assert f'<a href="{url}" rel="nofollow ugc noopener">{text}</a>' in page
        assert ("Edit profile" in page) == (who == "owner")


def test_the_settings_page_shows_the_saved_profile(owner, personas):
    profile_update(user=owner, display_name="Alice", github_url="alice")
    page = personas["owner"].get(reverse("account_settings")).content.decode()
    assert 'value="Alice"' in page and 'value="https://github.com/alice"' in page


def test_profile_text_is_escaped(owner, personas):
    profile_update(
        user=owner, display_name="<script>alert(1)</script>", bio="<img src=x onerror=alert(1)>"
    )
    page = personas["other"].get(reverse("user_detail", args=["alice"])).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("website_url", "javascript:alert(1)", "not a web address"),
        ("website_url", "ftp://example.com/files", "not a web address"),
        ("website_url", "https://exa mple.com", "not a web address"),
        ("website_url", "https://example.com/" + "a" * 200, "200 characters"),
        ("github_url", "https://gitlab.com/alice", "not a profile on GitHub"),
        ("github_url", "https://github.com/", "not a profile on GitHub"),
        ("github_url", "https://github.com.evil.example/alice", "not a profile on GitHub"),
        ("x_url", "https://github.com/alice", "not a profile on X"),
        ("display_name", "A" * 51, "50 characters"),
        ("display_name", "Alice\u202eecilA", "control characters"),
        ("bio", "b" * 301, "to 300 characters (it has 301)"),
        ("bio", "zero\u200bwidth", "control characters"),
    ],
)
def test_bad_profile_input_gets_a_message_on_its_field_and_changes_nothing(
    owner, personas, field, value, says
):
    profile_update(user=owner, display_name="Alice", website_url="https://alice.example.com")
    answer = personas["owner"].post(reverse("account_settings"), {**PROFILE, field: value})
    assert answer.status_code == 400
    assert says in " ".join(answer.context["form"].errors[field])
    owner.refresh_from_db()
    assert (owner.display_name, owner.website_url, owner.bio) == (
        "Alice",
        "https://alice.example.com",
        "",
    )


def test_a_bio_of_the_full_length_with_line_breaks_is_kept(owner):
    bio = ("x" * 99 + "\r\n") * 2 + "x" * 100  # 300 characters once the breaks are "\n"
    profile_update(user=owner, bio=bio)
    assert owner.bio == bio.replace("\r\n", "\n")
    with pytest.raises(Invalid):
        profile_update(user=owner, bio=bio + "x")


def test_the_settings_pages_need_a_log_in(client):
    for name in ("account_settings", "email_change"):
        answer = client.get(reverse(name))
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def test_a_profile_costs_the_user_page_no_query(owner, other, personas):
    RepositoryFactory(owner=owner, name="one")
    RepositoryFactory(owner=other, name="two")
    profile_update(user=owner, **PROFILE)

    def queries(username: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert personas["staff"].get(reverse("user_detail", args=[username])).status_code == 200
        return len(captured)

    assert queries("alice") == queries("bob")


def test_the_user_menu_and_the_settings_area_link_every_account_page(personas):
    page = personas["owner"].get(reverse("account_settings")).content.decode()
    for name in ("account_settings", "email_change", "password_change", "tokens"):
        assert f'href="{reverse(name)}"' in page
    for name in ("email_change", "password_change", "tokens"):
        other_page = personas["owner"].get(reverse(name)).content.decode()
        assert f'href="{reverse("account_settings")}"' in other_page
