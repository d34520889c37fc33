"""The "Use this model" box in Chromium: its Copy buttons put the snippets on the clipboard,
under the hub's Content-Security-Policy (the autouse fixture fails on any violation)."""

import pytest
from playwright.sync_api import expect

from hub import demo_models
from inference.tests.helpers import onnx_file
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG_NAME = "a-rather-long-file-name-for-a-direction-classifier.onnx"


def test_the_copy_buttons_copy_the_snippets(hub_server, seeded, shared_storage, page):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="direction")
    onnx_file(repo, "direction.onnx")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub_server)

    page.goto(f"{hub_server}/quant/direction/releases/v1.00/files/direction.onnx")
    box = page.locator("#use-this-model")
    curl = f"curl -fLO -- {hub_server}/quant/direction/resolve/latest/direction.onnx"
    expect(box.locator("pre").nth(1)).to_have_text(curl)
    button = box.get_by_role("button", name="Copy the curl command")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == curl

    # The Python snippet, several lines, comes out exactly as shown.
    python = box.locator("pre").nth(2).inner_text()
    assert "og.Alpha(" in python and python.count("\n") > 10
    box.get_by_role("button", name="Copy the Python code").click()
    assert page.evaluate("navigator.clipboard.readText()") == python
    expect(button).to_have_text("Copy")  # the feedback goes after a moment

    # The repository page: the whole release with the CLI.
    page.goto(f"{hub_server}/quant/direction/")
    page.locator("#use-this-model").get_by_role("button", name="Copy the command-line").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "hub download -- quant/direction@v1.00"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_verify_commands_are_shown_whole_and_copied(
    hub_server, seeded, shared_storage, page, width
):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="direction")
    onnx_file(repo, LONG_NAME, data=demo_models.direction_classifier())
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub_server)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{hub_server}/quant/direction/releases/v1.00/files/{LONG_NAME}")
    commands = page.locator(".repo-side .command")
    expect(commands).to_have_count(4)  # sha256sum, ipfs add; the CAR's curl, ipfs-car
    for i in range(4):
        command = commands.nth(i)
        command.scroll_into_view_if_needed()
        code = command.locator("pre")
        # Nothing clipped: the whole command is in the block, wrapped where it must be.
        assert code.evaluate("e => e.scrollWidth <= e.clientWidth")
        box = code.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width  # within the screen's width
        button = command.get_by_role("button", name="Copy")
        expect(button).to_be_in_viewport(ratio=1)
        button.click()
        assert page.evaluate("navigator.clipboard.readText()") == code.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") == width
