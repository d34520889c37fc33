"""The "Use this model" box in Chromium: its Copy buttons put the snippets on the clipboard,
under the hub's Content-Security-Policy (the autouse fixture fails on any violation)."""

import pytest
from playwright.sync_api import expect

from inference.tests.helpers import onnx_file
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_copy_buttons_copy_the_snippets(hub_server, seeded, shared_storage, page):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="direction")
    onnx_file(repo, "direction.onnx")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub_server)

    page.goto(f"{hub_server}/quant/direction/releases/v1.00/files/direction.onnx")
    box = page.locator("#use-this-model")
    curl = f"curl -fLO {hub_server}/quant/direction/resolve/latest/direction.onnx"
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
    assert page.evaluate("navigator.clipboard.readText()") == "hub download quant/direction@v1.00"
