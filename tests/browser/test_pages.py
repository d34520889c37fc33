"""The main pages in Chromium under the hub's Content-Security-Policy: nothing they load or
run is blocked (the autouse fixture in conftest.py fails any test whose pages logged a
violation), and the headers that come with them."""

import pytest
from playwright.sync_api import expect

from inference.tests.helpers import onnx_file
from tests.browser.helpers import job_in_state, log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = "/quant/lending-risk"
FILE = f"{REPO}/releases/v1.00/files/models/risk.onnx"


@pytest.fixture
def hub_content(seeded, shared_storage):
    """A public repository with an ONNX file, and a job of that file run by a superuser."""
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="lending-risk", tags=["credit"])
    rf = onnx_file(repo, "models/risk.onnx")
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    job = job_in_state(rf, root, "running")
    return {"owner": owner, "repo": repo, "file": rf, "root": root, "job": job}


def test_the_main_pages_run_under_the_content_security_policy(hub_server, hub_content, page):
    response = page.goto(hub_server + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in response.headers["permissions-policy"]
    expect(page.locator(".repo-card")).to_contain_text("lending-risk")
    page.goto(hub_server + "/models?q=risk")
    expect(page.locator(".repo-card")).to_have_count(1)
    page.goto(hub_server + "/accounts/login/")
    expect(page.locator("h1")).to_have_text("Log in")

    # The owner: the repository, the release with its uploader, the file, the editor.
    log_in(page, hub_server, hub_content["owner"], REPO + "/")
    page.locator(".entry-folder").get_by_role("link", name="models/").click()
    expect(page.locator(".files-table")).to_contain_text("risk.onnx")
    page.goto(hub_server + REPO + "/releases/v1.00/")
    expect(page.locator("#uploader .dropzone")).to_be_visible()
    page.goto(hub_server + FILE)
    expect(page.locator("#sig-title")).to_have_text("Model signature")
    page.goto(hub_server + "/new")
    card = "# Card\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```"
    page.fill("#id_description", card)
    expect(page.locator(".markdownx-preview h1")).to_have_text("Card")
    expect(page.locator(".markdownx-preview .highlight")).to_be_visible()
    page.goto(hub_server + REPO + "/edit/")
    expect(page.locator(".markdownx-preview h1")).to_have_text("A model")

    # A superuser: the admin's index, lists and a change form, and a job page.
    page.context.clear_cookies()
    log_in(page, hub_server, hub_content["root"], "/admin/")
    expect(page.locator(".moderation-summary")).to_be_visible()
    for path in (
        "repos/repository/",
        "releases/releasefile/",
        "releases/blob/",
        "moderation/report/",
        "moderation/moderationaction/",
        "accounts/user/",
    ):
        page.goto(f"{hub_server}/admin/{path}")
        expect(page.locator("#changelist")).to_be_visible()
    page.goto(f"{hub_server}/admin/repos/repository/{hub_content['repo'].pk}/change/")
    expect(page.locator(".select2-container").first).to_be_visible()  # the tags' autocomplete
    page.goto(f"{hub_server}/inference/jobs/{hub_content['job'].pk}/")
    expect(page.locator(".timeline")).to_contain_text("Running")


def test_a_blocked_inline_style_is_caught(hub_server, seeded, page, csp_violations):
    page.goto(hub_server + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen, so this test passes


def test_sizes_times_and_the_icon_read_the_same_everywhere(hub_server, hub_content, page):
    from releases.services.files import file_add_content

    repo = hub_content["repo"]
    file_add_content(
        release=repo.latest_release, path="weights.bin", data=bytes(300 * 1024), user=repo.owner
    )
    page.goto(hub_server + REPO + "/")
    row = page.locator(".files-table tbody tr").filter(has_text="weights.bin")
    expect(row.locator("td.num")).to_have_text("300.0 KiB")  # as the uploader writes it
    expect(page.locator(".meta")).to_contain_text("just now")
    page.goto(hub_server + "/")
    expect(page.locator(".repo-card time")).to_have_text("just now")
    page.goto(hub_server + REPO + "/releases/v1.00/files/weights.bin")
    expect(page.locator(".meta-wide")).to_contain_text("300.0 KiB (307,200 bytes)")

    icon = page.request.get(hub_server + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"] == "image/svg+xml"
    log_in(page, hub_server, hub_content["root"], "/admin/")
    assert page.locator("link[rel=icon]").get_attribute("href").endswith(".svg")
    page.goto(hub_server + "/admin/releases/releasefile/?q=weights")
    expect(page.locator("#result_list")).to_contain_text("300.0 KiB")
