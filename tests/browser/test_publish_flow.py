import re

import pytest
from playwright.sync_api import expect

from releases.models import Release
from repos.models import Repository
from tests.browser.helpers import link_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_create_repository_release_and_find_it(hub_server, seeded, page, mails):
    base = hub_server
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up").click()
    page.fill("#id_username", "maria")
    page.fill("#id_email", "maria@example.com")
    page.fill("#id_password1", "a-long-passphrase-42")
    page.fill("#id_password2", "a-long-passphrase-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    # The account is made from the link mailed to the address.
    (message,) = mails
    assert message.to == ["maria@example.com"]
    page.goto(link_in(message, base))
    expect(page.locator(".signup-username")).to_have_text("maria")
    page.get_by_role("button", name="Create my account").click()

    # Straight on to the new-repository form, with the Markdown editor and its live preview.
    expect(page).to_have_url(base + "/new")
    page.fill("#id_name", "sol-usdt-volatility")
    page.select_option("#id_task", label="DeFi Forecasting")
    page.select_option("#id_license", label="Apache-2.0")
    page.fill("#id_tags", "Solana, volatility")
    page.fill("#id_description", "# SOL volatility\n\n| window | mae |\n|---|---|\n| 1h | 0.2 |")
    expect(page.locator(".markdownx-preview h1")).to_have_text("SOL volatility")
    expect(page.locator(".markdownx-preview table")).to_be_visible()
    page.get_by_role("button", name="Create repository").click()

    expect(page).to_have_url(base + "/maria/sol-usdt-volatility/")
    expect(page.locator(".markdown-body h1")).to_have_text("SOL volatility")
    expect(page.locator(".release-list")).to_contain_text("v1.00")

    page.get_by_role("link", name="New release").click()
    page.get_by_label(re.compile("Major")).check()
    page.fill("#id_notes", "Retrained on **2025** data.")
    page.get_by_role("button", name="Create release").click()
    expect(page).to_have_url(base + "/maria/sol-usdt-volatility/releases/v2.00/")
    expect(page.locator(".markdown-body strong")).to_have_text("2025")

    page.fill(".header-search input", "solana volat")
    page.keyboard.press("Enter")
    card = page.locator(".repo-card").filter(has_text="sol-usdt-volatility")
    expect(card).to_contain_text("v2.00")
    expect(card).to_contain_text("DeFi Forecasting")

    repo = Repository.objects.get(name="sol-usdt-volatility")
    assert repo.owner.username == "maria"
    assert sorted(Release.objects.filter(repository=repo).values_list("major", "minor")) == [
        (1, 0),
        (2, 0),
    ]


def test_a_stranger_sees_no_trace_of_a_private_repository(hub_server, seeded, page):
    from tests.factories import RepositoryFactory, UserFactory

    owner = UserFactory(username="olga")
    RepositoryFactory(owner=owner, name="hidden-alpha", visibility="private")
    page.goto(hub_server + "/models?q=hidden")
    expect(page.locator("h1")).to_contain_text("0 models")
    response = page.goto(hub_server + "/olga/hidden-alpha/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("This page does not exist")
