"""The hub's journeys with the keyboard alone: browse, upload, run a test inference, moderate.

Each step is a Tab, Enter, Space, Escape or typed text (the URL bar's `goto` and the
operating system's file dialog aside), and every control the focus lands on shows a ring.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from inference.models import InferenceJob
from inference.tests.helpers import onnx_file
from moderation import services
from tests.browser.test_upload_flow import upload_media, upload_worker  # noqa: F401
from tests.factories import PASSWORD, RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = "/quant/lending-risk/"
FILE = REPO + "releases/v1.00/files/models/risk.onnx"

FOCUSED = """(selector) => {
  const el = document.activeElement;
  return !!el && el !== document.body && el.matches(selector);
}"""

# The focus ring of the focused control (of its <label> when the control is a hidden input).
RING = """() => {
  let el = document.activeElement;
  if (el.matches("input.visually-hidden")) el = el.closest("label");
  const style = getComputedStyle(el);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


def tab_to(page, selector: str, *, limit: int = 80, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focus is on `selector` (unless it is there already);
    it must show a ring."""
    for n in range(limit):
        if n or not page.evaluate(FOCUSED, selector):
            page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(FOCUSED, selector):
            assert page.evaluate(RING), f"{selector} has the focus but shows no focus ring"
            return
    pytest.fail(f"{limit} presses of Tab never reached {selector} on {page.url}")


def log_in_by_keyboard(page, base: str, user, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    tab_to(page, "#id_username")
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(base + next_url)


@pytest.fixture
def risk(seeded, shared_storage):
    repo = RepositoryFactory(owner=UserFactory(username="quant"), name="lending-risk")
    return onnx_file(repo, "models/risk.onnx")


def test_a_visitor_browses_to_a_file_with_the_keyboard(hub_server, risk, page):
    page.goto(hub_server + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0, "the skip link shows when it has the focus"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first control of the page's content, past the header
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")

    tab_to(page, ".hero-search input[type=search]")
    page.keyboard.type("risk")
    page.keyboard.press("Enter")
    expect(page).to_have_url(hub_server + "/models?q=risk")

    tab_to(page, ".repo-card .card-title a")
    page.keyboard.press("Enter")
    expect(page).to_have_url(hub_server + REPO)
    tab_to(page, ".files-table .entry-folder a")  # the release's files as a folder tree
    page.keyboard.press("Enter")
    expect(page.locator(".files-table")).to_contain_text("risk.onnx")
    tab_to(page, ".files-table a[href$='models/risk.onnx']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(hub_server + FILE)
    expect(page.locator("h2.file-title")).to_have_text("risk.onnx")

    # The verify commands are shown whole (nothing to scroll), each with its Copy button.
    last = page.locator(".repo-side .command pre").last
    assert last.evaluate("(pre) => pre.scrollWidth <= pre.clientWidth")
    tab_to(page, "button[aria-label='Copy the ipfs-car command']")
    # A box that scrolls sideways (the Python snippet, on a phone) takes the focus, to scroll
    # by arrows.
    page.set_viewport_size({"width": 390, "height": 844})
    wide = "#use-this-model pre:not(.snippet-shell)"
    page.wait_for_function("(s) => document.querySelector(s).hasAttribute('tabindex')", arg=wide)
    assert page.locator(wide).evaluate("(pre) => pre.scrollWidth > pre.clientWidth")
    tab_to(page, wide, back=True)
    assert page.evaluate("() => document.activeElement.scrollLeft") == 0
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")


def test_the_account_menu_opens_with_enter_and_closes_with_escape(hub_server, risk, page):
    log_in_by_keyboard(page, hub_server, risk.release.repository.owner, REPO)
    menu = page.locator("details.menu:not(.search-menu)")
    tab_to(page, "summary[aria-label='Account menu']")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Your models")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(page.locator("summary[aria-label='Account menu']")).to_be_focused()


def test_the_owner_uploads_with_the_keyboard(
    hub_server,
    seeded,
    upload_worker,  # noqa: F811
    page,
    tmp_path,
):
    owner = UserFactory(username="nadia")
    RepositoryFactory(owner=owner, name="eth-gas-forecast")
    (tmp_path / "weights.bin").write_bytes(b"w" * 70_000)
    (tmp_path / "config.json").write_bytes(b'{"layers": 2}')
    release = "/nadia/eth-gas-forecast/releases/v1.00/"
    log_in_by_keyboard(page, hub_server, owner, release)

    tab_to(page, "#uploader .dropzone")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(tmp_path / "weights.bin")
    files = page.locator("#release-files .files-table")
    expect(files).to_contain_text("weights.bin", timeout=60_000)

    tab_to(page, "#uploader .dropzone", back=True)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press(" ")
    chooser.value.set_files(tmp_path / "config.json")
    expect(files).to_contain_text("config.json", timeout=60_000)


def test_staff_run_a_test_inference_with_the_keyboard(
    hub_server, anvil, celery_worker_process, risk, page
):
    operator = UserFactory(username="operator", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="run_inference"))
    log_in_by_keyboard(page, hub_server, operator, FILE)

    tab_to(page, "#run-inference textarea")
    page.keyboard.press("Control+A")
    page.keyboard.type("[[0.9, 0.1, 0.4, 0.2]]")
    tab_to(page, "#run-inference input[type=radio]:checked")
    page.keyboard.press("ArrowRight")  # VANILLA → TEE, as radio buttons move
    tab_to(page, "#run-inference button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator(".timeline")).to_contain_text("Confirmed", timeout=60_000)
    job = InferenceJob.objects.get()
    assert job.mode == "TEE" and job.inputs["position"]["values"] == [[0.9, 0.1, 0.4, 0.2]]


def test_a_moderator_hides_a_reported_repository_with_the_keyboard(hub_server, seeded, page):
    spam = RepositoryFactory(owner=UserFactory(username="spammer"), name="free-crypto-signals")
    services.report_create(
        repository=spam, reporter=UserFactory(username="ana"), reason="spam", text="ads"
    )
    moderator = UserFactory(username="mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))

    page.goto(hub_server + "/admin/")
    tab_to(page, "#id_username")
    page.keyboard.type("mod")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(hub_server + "/admin/")
    tab_to(page, "#user-tools a[href*='moderation/report/']")
    page.keyboard.press("Enter")
    expect(page.locator("#result_list")).to_be_visible()

    tab_to(page, "#result_list input.action-select")
    page.keyboard.press("Space")
    tab_to(page, "select[name=action]", back=True)
    page.keyboard.type("Hide")  # a closed <select> picks the option its typed text starts
    assert page.locator("select[name=action]").input_value() == "hide_reported_repositories"
    tab_to(page, "button[name=index]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    expect(page.locator("h1")).to_contain_text("Hide the reported repositories")
    tab_to(page, "textarea[name=reason]")
    page.keyboard.type("Advertising, not a model.")
    tab_to(page, "input[type=submit], button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("Hid 1 repository")
    spam.refresh_from_db()
    assert spam.is_hidden
