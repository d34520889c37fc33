"""The filters of /models in Chromium: a changed menu updates the list at once and keeps the
other filters (and the focus); a card's tag keeps them too; without JavaScript the Apply
button does the same."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from repos.models import License
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listed(seeded, settings):
    """Seven models that "vol" finds, two a page: five under Apache-2.0, two under MIT."""
    settings.HUB_PAGE_SIZE = 2
    owner = UserFactory(username="quant")
    apache = License.objects.get(spdx_id="Apache-2.0")
    for i in range(5):
        RepositoryFactory(owner=owner, name=f"vol-{i}", license=apache, tags=["onnx", "eth"])
    for i in range(2):
        RepositoryFactory(owner=owner, name=f"vol-mit-{i}", tags=["onnx"])


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def test_a_changed_menu_updates_the_list_and_keeps_the_other_filters(hub_server, listed, page):
    page.goto(hub_server + "/models?q=vol&sort=name&page=2")
    expect(page.get_by_role("heading", level=1)).to_have_text("7 models matching “vol”")
    expect(page.get_by_role("button", name="Apply")).to_be_hidden()

    licence = page.get_by_role("combobox", name="License")
    with page.expect_navigation():
        licence.select_option("Apache-2.0")
    assert query(page) == {"q": ["vol"], "license": ["Apache-2.0"], "sort": ["name"]}
    expect(page.get_by_role("heading", level=1)).to_have_text("5 models matching “vol”")
    expect(page.locator(".repo-card .card-title")).to_have_text(["quant/vol-0", "quant/vol-1"])
    expect(licence).to_be_focused()  # a keyboard user goes on from where they were

    with page.expect_navigation():
        page.get_by_role("combobox", name="Sort by").select_option("newest")
    assert query(page) == {"q": ["vol"], "license": ["Apache-2.0"], "sort": ["newest"]}
    expect(page.locator(".repo-card .card-title").first).to_have_text("quant/vol-4")

    page.get_by_role("link", name="Next →").click()
    assert query(page)["page"] == ["2"]
    with page.expect_navigation():
        page.locator(".repo-card .tags").first.get_by_role("link", name="eth").click()
    assert query(page) == {
        "q": ["vol"],
        "license": ["Apache-2.0"],
        "tag": ["eth"],
        "sort": ["newest"],
    }  # and no page number: the new list starts on its first page
    expect(page.get_by_role("heading", level=1)).to_have_text("5 models matching “vol”")
    with page.expect_navigation():
        page.locator(".repo-card").first.get_by_role("link", name="DeFi Forecasting").click()
    assert query(page)["task"] == ["defi-forecasting"] and query(page)["tag"] == ["eth"]
    expect(page.get_by_role("combobox", name="Task")).to_have_value("defi-forecasting")


def test_without_javascript_apply_sends_the_filters(hub_server, listed, browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(hub_server + "/models?q=vol&page=2")
        apply = page.get_by_role("button", name="Apply")
        expect(apply).to_be_visible()
        search_box = page.get_by_role("searchbox", name="Search text").bounding_box()
        assert apply.bounding_box()["y"] == search_box["y"]  # one row at 1280 px
        page.get_by_role("combobox", name="License").select_option("MIT")
        assert "license" not in query(page)  # nothing happens before Apply
        with page.expect_navigation():
            apply.click()
        assert query(page)["q"] == ["vol"] and query(page)["license"] == ["MIT"]
        assert "page" not in query(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("2 models matching “vol”")
        with page.expect_navigation():
            page.locator(".repo-card .tags").first.get_by_role("link", name="onnx").click()
        assert query(page) == {"q": ["vol"], "license": ["MIT"], "tag": ["onnx"]}
    finally:
        context.close()
