"""Comparing releases in Chromium: from the release list to the comparison and its signature
diff, choosing other releases, the warning on a minor release that breaks callers and its way
to a major release, the release form's warning before a breaking copy, and a phone's width."""

import pytest
from playwright.sync_api import expect

from hub import demo_models
from releases.models import Release
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature
from tests.browser.helpers import log_in
from tests.factories import RepositoryFactory, UserFactory, add_releases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
REPO = "/quant/eth-direction/"


@pytest.fixture
def releases(seeded, shared_storage):
    """v1.00: a direction classifier; v1.01 (minor): a risk model at the same path, whose
    input and output are other tensors (breaking), a new file and a changed one."""
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="eth-direction")
    (v101,) = add_releases(repo, "minor")
    v100 = Release.objects.get(repository=repo, major=1, minor=0)
    files = {
        v100: {
            "model.onnx": demo_models.direction_classifier(),
            "README.md": b"v1",
            "config.json": b"{}",
        },
        v101: {
            "model.onnx": demo_models.risk_score(),
            "README.md": b"v1",
            "config.json": b'{"window": 24}',
            "features.json": demo_models.features(),
        },
    }
    for release, contents in files.items():
        for path, data in contents.items():
            rf = file_add_content(release=release, path=path, data=data, user=owner)
            if path.endswith(".onnx"):
                read_onnx_signature(rf.blob_id)  # what the worker does after an upload
    return {"owner": owner, "repo": repo}


def test_a_visitor_goes_from_the_release_list_to_the_comparison(hub_server, releases, page):
    page.goto(hub_server + REPO + "releases/")
    card = page.locator(".release-card").filter(has_text="v1.01")
    card.get_by_role("link", name="Compare with previous").click()
    expect(page).to_have_url(hub_server + REPO + "compare/v1.00...v1.01")
    expect(page.locator(".compare-summary")).to_contain_text(
        "1 added, 0 removed, 2 changed, 1 unchanged"
    )
    expect(page.locator(".breaking-banner")).to_contain_text("v1.01 breaks callers of v1.00.")
    diff = page.locator(".signature-diff")
    expect(diff.locator("h4")).to_have_text("Signature of model.onnx")
    expect(diff.locator(".breaking-list")).to_contain_text("input “features” renamed to “position”")
    expect(diff.locator(".breaking-list")).to_contain_text(
        "output “probabilities” renamed to “risk”"
    )
    expect(diff.locator(".sig-facts")).to_contain_text("13 → 15")  # opset
    added = page.locator("section").filter(has=page.locator("#added-title"))
    added.get_by_role("link", name="features.json").click()
    expect(page).to_have_url(hub_server + REPO + "releases/v1.01/files/features.json")

    page.go_back()
    page.select_option("#id_base", "v1.01")  # the other way round, chosen on the page
    page.select_option("#id_head", "v1.00")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(hub_server + REPO + "compare/v1.01...v1.00")
    expect(page.locator(".compare-summary")).to_contain_text("0 added, 1 removed, 2 changed")


def test_the_owner_is_told_and_publishes_the_files_as_a_major_release(hub_server, releases, page):
    log_in(page, hub_server, releases["owner"], REPO + "releases/v1.01/")
    warning = page.locator(".breaking-banner")
    expect(warning).to_contain_text(
        "v1.01 is numbered as a minor release, but it breaks callers of v1.00."
    )
    expect(warning).to_contain_text("model.onnx: input “features” renamed to “position”")
    warning.get_by_role("link", name="Create v2.00 with these files").click()
    expect(page.locator("#id_bump_1")).to_be_checked()  # major
    expect(page.locator("#id_source")).to_have_value("v1.01")
    page.get_by_role("button", name="Create release").click()
    expect(page).to_have_url(hub_server + REPO + "releases/v2.00/")
    expect(page.locator(".breaking-banner")).to_have_count(0)
    expect(page.locator(".release-files")).to_contain_text("features.json")


def test_the_form_warns_before_a_breaking_minor_release_is_created(hub_server, releases, page):
    log_in(page, hub_server, releases["owner"], REPO + "releases/new/")
    page.get_by_label("Minor").check()
    page.select_option("#id_source", "v1.00")  # back to the classifier, numbered as a minor
    page.get_by_role("button", name="Create release").click()
    expect(page.locator(".breaking-banner")).to_contain_text(
        "A minor release with the files of v1.00 would break callers of v1.01."
    )
    assert not Release.objects.filter(repository=releases["repo"], minor=2).exists()
    page.get_by_label("Create it as a minor release anyway").check()
    page.get_by_role("button", name="Create release").click()
    expect(page).to_have_url(hub_server + REPO + "releases/v1.02/")
    expect(page.locator(".breaking-banner")).to_contain_text("breaks callers of v1.01")


def test_the_comparison_fits_a_phone(hub_server, releases, page):
    page.set_viewport_size(PHONE)
    page.goto(hub_server + REPO + "compare/v1.00...v1.01")
    expect(page.locator(".signature-diff")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    expect(page.get_by_role("button", name="Compare")).to_be_in_viewport()


def test_a_private_repository_has_no_comparison_for_strangers(hub_server, releases, page):
    repo = releases["repo"]
    repo.visibility = "private"
    repo.save(update_fields=["visibility"])
    response = page.goto(hub_server + REPO + "compare/v1.00...v1.01")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("model.onnx")
