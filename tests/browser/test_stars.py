"""Starring a repository in Chromium: one click without a page load, and the same form
without JavaScript (a POST that comes back to the page)."""

import pytest
from playwright.sync_api import expect

from repos.models import Repository
from tests.browser.helpers import log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = "/quant/lending-risk/"


@pytest.fixture
def starrable(seeded):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="lending-risk", tags=["credit"])
    return {"repo": repo, "fan": UserFactory(username="fan")}


def stars() -> int:
    return Repository.objects.get(name="lending-risk").stars


def test_a_click_stars_without_reloading_the_page(hub_server, starrable, page):
    log_in(page, hub_server, starrable["fan"], REPO)
    page.evaluate("window.notReloaded = true")
    button = page.locator(".star-button")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_text("Starred")
    expect(page.locator(".star-count")).to_have_text("1 star")
    assert page.evaluate("window.notReloaded") is True
    assert stars() == 1

    button.click()  # and back
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".star-count")).to_have_text("0 stars")
    assert page.evaluate("window.notReloaded") is True
    assert stars() == 0

    button.click()
    expect(button).to_have_text("Starred")
    page.goto(hub_server + "/fan/?tab=starred")
    expect(page.locator(".repo-card")).to_contain_text("lending-risk")
    expect(page.locator(".repo-card .card-stat").first).to_have_text("1 star")


def test_without_javascript_the_form_posts_and_comes_back(hub_server, starrable, browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, hub_server, starrable["fan"], REPO + "releases/")
        with page.expect_navigation():
            page.locator(".star-button").click()
        expect(page).to_have_url(hub_server + REPO + "releases/")
        expect(page.locator(".star-button")).to_have_attribute("aria-pressed", "true")
        expect(page.locator(".star-count")).to_have_text("1 star")
        assert stars() == 1
    finally:
        context.close()


def test_visitors_are_asked_to_sign_in_to_star(hub_server, starrable, page):
    page.goto(hub_server + REPO)
    page.locator(".star-button").click()
    expect(page).to_have_url(hub_server + "/accounts/login/?next=" + REPO)
