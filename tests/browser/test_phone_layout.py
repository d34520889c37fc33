"""The hub on a phone (390 × 844 CSS pixels): nothing wider than the screen, every part of
the files table on screen, a compact header that hides nothing under it."""

import pytest
from playwright.sync_api import expect

from inference.tests.helpers import onnx_file
from releases.services.files import file_add_content
from tests.browser.helpers import job_in_state, log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def header_height(page) -> float:
    return page.locator(".site-header").bounding_box()["height"]


@pytest.fixture
def owner_repo(seeded, shared_storage):
    owner = UserFactory(username="nadia")
    repo = RepositoryFactory(owner=owner, name="eth-gas-forecast")
    for path in ("weights/model-final-quantized.onnx.data", "config.json"):
        file_add_content(release=repo.latest_release, path=path, data=path.encode(), user=owner)
    return owner, repo


@pytest.mark.parametrize("where", ["repository", "release"])
def test_the_files_table_fits_a_phone_with_every_column_on_screen_in_each_folder(
    hub_server, owner_repo, page, where
):
    owner, _repo = owner_repo
    url = f"/nadia/eth-gas-forecast/{'releases/v1.00/' if where == 'release' else ''}"
    page.set_viewport_size(PHONE)
    log_in(page, hub_server, owner, url)

    assert page_width(page) == PHONE["width"]
    assert header_height(page) < 80
    folder = page.locator(".files-table tbody tr").filter(has_text="weights/")
    for part in (folder.get_by_role("link", name="weights/"), folder.locator(".folder-count")):
        expect(part).to_be_in_viewport(ratio=1)
    _file_row_fits(page, "config.json")
    folder.get_by_role("link", name="weights/").click()  # the folder's own page
    expect(page.locator(".breadcrumbs")).to_contain_text("v1.00 / weights")
    assert page_width(page) == PHONE["width"]
    _file_row_fits(page, "model-final-quantized.onnx.data")


def _file_row_fits(page, name: str) -> None:
    row = page.locator(".files-table tbody tr").filter(has_text=name)
    row.scroll_into_view_if_needed()
    for part in (
        row.locator(".blob-id"),
        row.get_by_role("button", name="Copy"),
        row.get_by_role("link", name="Download"),
        row.get_by_role("link", name="Delete"),
    ):
        expect(part).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize("visitor", ["anonymous", "owner"])
def test_the_header_is_one_compact_row_and_search_is_a_tap_away(
    hub_server, owner_repo, page, visitor
):
    owner, _repo = owner_repo
    page.set_viewport_size(PHONE)
    if visitor == "owner":
        log_in(page, hub_server, owner, "/nadia/eth-gas-forecast/")
    else:
        page.goto(hub_server + "/nadia/eth-gas-forecast/")
    assert header_height(page) < 80
    assert page_width(page) == PHONE["width"]

    page.locator("summary[aria-label='Search models']").click()  # the magnifier
    search = page.locator(".search-panel input")
    expect(search).to_be_visible()
    search.fill("gas")
    search.press("Enter")
    expect(page).to_have_url(f"{hub_server}/models?q=gas")
    expect(page.locator(".repo-card")).to_contain_text("eth-gas-forecast")


def test_a_job_page_shows_its_breadcrumb_below_the_header(hub_server, owner_repo, page):
    _owner, repo = owner_repo
    rf = onnx_file(repo, "models/risk.onnx")
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    job = job_in_state(rf, root, "running")
    page.set_viewport_size(PHONE)
    log_in(page, hub_server, root, f"/inference/jobs/{job.pk}/")

    expect(page.locator(".messages")).to_have_count(0)
    crumbs = page.locator("nav.breadcrumbs")
    expect(crumbs).to_be_visible()
    assert crumbs.bounding_box()["y"] >= header_height(page)
    assert page_width(page) == PHONE["width"]
