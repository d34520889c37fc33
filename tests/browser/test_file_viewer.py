"""Looking inside files in Chromium: a README rendered (its script inert), a JSON file
highlighted, a CSV as a table, and the release as a folder tree walked down and back up, on a
desktop and on a phone, without JavaScript for the tree. Screenshots of each page at 1280 and
390 pixels go to SCREENSHOTS_DIR (else the test's temporary folder) for a person to look at."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from releases.services.files import file_add_content
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = "/ines/sentiment-small"
RELEASE = f"{REPO}/releases/v1.00/"
README = """# Sentiment (small)

A compact classifier for crypto news headlines.

<script>document.title = "pwned"</script>

| split | accuracy |
|-------|----------|
| test  | 0.91     |

```python
from hub import download
download("ines/sentiment-small")
```
"""
CONFIG = b'{\n  "hidden_size": 256,\n  "labels": ["negative", "neutral", "positive"],\n  "dropout": 0.1\n}\n'  # noqa: E501
CSV = "headline,label,score\n" + "".join(
    f'"ETH {"rallies" if n % 2 else "slips"} as fees move, day {n}",'
    f"{'positive' if n % 2 else 'negative'},0.{n:02d}\n"
    for n in range(1, 151)
)
FILES = {
    "README.md": README.encode(),
    "config.json": CONFIG,
    "data/eval.csv": CSV.encode(),
    "onnx/model.onnx": bytes(2048),
    "onnx/quantized/model-int8.onnx": bytes(1024),
    "tokenizer/vocab.txt": b"[PAD]\n[UNK]\neth\nbtc\n",
}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def repo(seeded, shared_storage):
    owner = UserFactory(username="ines")
    repo = RepositoryFactory(owner=owner, name="sentiment-small")
    for path, data in FILES.items():
        file_add_content(release=repo.latest_release, path=path, data=data, user=owner)
    return repo


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fits(page) -> None:
    """Nothing on the page is wider than the window: wide content scrolls in its own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], page.url


@pytest.mark.parametrize("device", WIDTHS)
def test_a_visitor_reads_a_readme_a_json_file_and_a_csv(hub_server, repo, page, shots, device):
    page.set_viewport_size(WIDTHS[device])

    page.goto(f"{hub_server}{RELEASE}files/README.md")
    preview = page.locator(".file-preview")
    expect(preview.locator(".markdown-body h1")).to_have_text("Sentiment (small)")
    expect(preview.locator(".markdown-body table td").first).to_have_text("test")
    expect(preview.locator(".markdown-body .highlight .kn").first).to_have_text("from")
    assert page.title() != "pwned" and preview.locator("script").count() == 0
    fits(page)
    page.screenshot(path=shots / f"file-readme-{device}.png", full_page=True)

    page.goto(f"{hub_server}{RELEASE}files/config.json")
    code = page.locator(".file-preview .code-view")
    expect(page.locator("#preview-title")).to_contain_text("JSON")
    expect(code.locator(".nt").first).to_have_text('"hidden_size"')
    expect(code.locator(".linenos")).to_have_count(5)
    # The line numbers are not copied with the code.
    assert code.locator(".linenos").first.evaluate("e => getComputedStyle(e).userSelect") == "none"
    fits(page)
    page.screenshot(path=shots / f"file-json-{device}.png", full_page=True)

    page.goto(f"{hub_server}{RELEASE}files/data/eval.csv")
    table = page.locator(".file-preview .preview-table")
    expect(table.locator("thead th")).to_have_text(["headline", "label", "score"])
    expect(table.locator("tbody tr")).to_have_count(100)
    expect(table.locator("tbody tr").first.locator("td").nth(2)).to_have_text("0.01")
    expect(page.locator(".preview-note")).to_have_text("Showing the first 100 of 150 rows.")
    fits(page)
    page.screenshot(path=shots / f"file-csv-{device}.png", full_page=False)

    page.goto(f"{hub_server}{RELEASE}files/onnx/model.onnx")
    expect(page.locator(".preview-none")).to_contain_text("An ONNX model is binary")
    expect(page.locator(".file-preview")).to_have_count(0)


@pytest.mark.parametrize("device", WIDTHS)
def test_the_release_is_a_folder_tree_walked_without_javascript(
    hub_server, repo, browser, shots, device
):
    context = browser.new_context(java_script_enabled=False, viewport=WIDTHS[device])
    page = context.new_page()
    try:
        page.goto(hub_server + RELEASE)
        rows = page.locator(".files-table tbody tr")
        # Folders first, each with the size and count of what is under it; then files.
        expect(rows.locator("td.path")).to_have_text(
            ["data/", "onnx/", "tokenizer/", "config.json", "README.md"]
        )
        onnx = rows.filter(has_text="onnx/")
        expect(onnx.locator("td.num")).to_have_text("3.0 KiB")
        expect(onnx.locator(".folder-count")).to_have_text("2 files")
        readme = rows.filter(has_text="README.md")
        expect(readme.locator(".blob-id")).to_have_attribute(
            "title", repo.latest_release.files.get(path="README.md").blob.blob_id
        )
        fits(page)
        page.screenshot(path=shots / f"tree-top-{device}.png", full_page=True)

        onnx.get_by_role("link", name="onnx/").click()
        expect(page).to_have_url(hub_server + RELEASE + "tree/onnx")
        expect(rows.locator("td.path")).to_have_text(["quantized/", "model.onnx"])
        rows.get_by_role("link", name="quantized/").click()
        expect(page.locator(".breadcrumbs")).to_have_text("v1.00 / onnx / quantized")
        expect(rows.locator("td.path")).to_have_text(["model-int8.onnx"])
        fits(page)
        page.screenshot(path=shots / f"tree-folder-{device}.png", full_page=True)

        page.locator(".breadcrumbs").get_by_role("link", name="onnx").click()
        expect(page).to_have_url(hub_server + RELEASE + "tree/onnx")
        page.locator(".breadcrumbs").get_by_role("link", name="v1.00").click()
        expect(page).to_have_url(hub_server + RELEASE)
    finally:
        context.close()
