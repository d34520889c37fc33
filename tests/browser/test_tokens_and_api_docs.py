"""A token made on its page, copied once, and the API documentation the hub serves itself,
both under the site's Content-Security-Policy (the autouse fixture fails on a violation)."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_token_is_made_shown_once_and_works(hub_server, seeded, page, browser):
    import requests

    owner = UserFactory(username="tokyo")
    log_in(page, hub_server, owner, "/accounts/tokens/")
    page.fill("#id_name", "CI publishing")
    page.check("input[value=write]")
    page.locator("form.token-form button[type=submit]").click()
    shown = page.locator(".token-value code")
    expect(shown).to_contain_text("hub_")
    token = shown.inner_text()
    answer = requests.get(
        f"{hub_server}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert answer["username"] == "tokyo" and answer["scope"] == "write"
    page.goto(hub_server + "/accounts/tokens/")
    expect(page.locator(".tokens-table")).to_contain_text("CI publishing")
    assert token not in page.content()
    page.get_by_role("button", name="Revoke the token CI publishing").click()
    expect(page.locator(".messages, .message").first).to_contain_text("no longer works")
    gone = requests.get(
        f"{hub_server}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert gone.status_code == 401


def test_the_api_documentation_is_served_by_the_hub(hub_server, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(hub_server + "/api/v1/docs")
    expect(page.get_by_text("/api/v1/repos/{owner}/{name}/releases").first).to_be_visible()
    assert all(url.startswith(hub_server) for url in requested), requested
