"""Screenshots of the hub's pages at desktop and phone widths, for a look by a person.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]
Expects the demo data (scripts/run loads it). Writes PNG files into OUT_DIR.
"""

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
REPO = "/demo/opengradient-1-hour-volatility-ethusdt1"
PAGES = {
    "home": "/",
    "models": "/models?q=ethereum",
    "models-stars": "/models?sort=stars",
    "models-trending": "/models?sort=trending",
    "user": "/demo/",
    "repo": f"{REPO}/",
    "releases": f"{REPO}/releases/",
    "release": f"{REPO}/releases/v1.01/",
    "release-files": f"{REPO}/releases/v1.02/",
    "compare": "/demo/btc-price-direction/compare/v1.00...v2.00",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "signup-sent": "/accounts/signup/sent/",
    "password-reset": "/accounts/password/reset/",
    "404": "/demo/no-such-model/",
    "file": f"{REPO}/releases/v1.02/files/model.onnx",
}
OWNER_PAGES = {
    "repo-signed-in": f"{REPO}/",
    "user-starred": "/demo/?tab=starred",
    "new": "/new",
    "edit": f"{REPO}/edit/",
    "settings": f"{REPO}/settings/",
    "release-new": f"{REPO}/releases/new/",
    "release-owner": f"{REPO}/releases/v1.02/",
    "password": "/accounts/password/",
    "account-profile": "/accounts/settings/",
    "account-email": "/accounts/settings/email/",
    "tokens": "/accounts/tokens/",
}
STAFF_FILE = "/demo/btc-price-direction/releases/v2.00/files/direction.onnx"
ADMIN_PAGES = {
    "admin": "/admin/",
    "admin-repos": "/admin/repos/repository/",
    "admin-files": "/admin/releases/releasefile/",
    "admin-reports": "/admin/moderation/report/",
    "admin-log": "/admin/moderation/moderationaction/",
}
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            for name, path in PAGES.items():
                page.goto(BASE + path)
                page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
            _graph(page, size)
            _log_in(page, "demo", "demo-password-123")
            for name, path in OWNER_PAGES.items():
                page.goto(BASE + path)
                page.wait_for_timeout(300)
                page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
            _uploader(page, size)
            page.close()
            _staff_pages(browser, size, width, height)
        browser.close()
    print(f"screenshots written to {OUT}/")


def _staff_pages(browser, size: str, width: int, height: int) -> None:
    """The test-inference panel, a job followed to its end, and the staff job list."""
    page = browser.new_page(viewport={"width": width, "height": height})
    _log_in(page, "staff", "staff-password-123")
    for name, path in ADMIN_PAGES.items():
        page.goto(BASE + path)
        page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
    page.goto(BASE + STAFF_FILE)
    page.screenshot(path=OUT / f"inference-panel-{size}.png", full_page=True)
    page.fill("#run-inference textarea", "[[1, 2, 3]]")
    page.click("#run-inference button[type=submit]")
    page.screenshot(path=OUT / f"inference-invalid-{size}.png", full_page=True)
    page.fill("#run-inference textarea", "[[0.4, -1.2, 0.05, 2, 0.7, 0.1], [1, 1, 1, 1, 1, 1]]")
    page.click("#run-inference button[type=submit]")
    page.screenshot(path=OUT / f"inference-queued-{size}.png", full_page=True)
    page.wait_for_selector("#job-live[data-finished]", timeout=60_000)
    page.screenshot(path=OUT / f"inference-job-{size}.png", full_page=True)
    page.goto(BASE + "/inference/jobs/")
    page.screenshot(path=OUT / f"inference-jobs-{size}.png", full_page=True)
    page.close()


def _graph(page, size: str) -> None:
    """The model's graph, once netron has drawn it in its frame, then a node's properties."""
    page.goto(BASE + PAGES["file"].replace("/files/", "/graph/"))
    frame = page.frame_locator("iframe.graph-frame")
    frame.locator("body[data-state=shown]").wait_for()
    page.screenshot(path=OUT / f"graph-{size}.png")
    frame.locator("#canvas g.node text").filter(has_text="MatMul").click()
    frame.locator("#sidebar-title").filter(has_text="Node Properties").wait_for()
    page.screenshot(path=OUT / f"graph-node-{size}.png")


def _log_in(page, username: str, password: str) -> None:
    page.goto(BASE + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(BASE + "/")


def _uploader(page, size: str) -> None:
    """The uploader mid-way (a chunk held back), paused, then the page after a reload with its
    unfinished upload, which is then discarded; and a conflict with its next step."""
    release = BASE + OWNER_PAGES["release-owner"]
    with tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "weights.bin"
        weights.write_bytes(os.urandom(40 * 1024 * 1024))  # three chunks of 16 MiB
        conflict = Path(folder) / "model.onnx"  # v1.02 has model.onnx with other bytes
        conflict.write_bytes(os.urandom(1000))
        page.goto(release)
        page.route("**/chunks/1", lambda route: None)  # held: the second chunk is in flight
        picker = page.locator("#uploader input[type=file][data-picker]").first
        picker.set_input_files([weights, conflict])
        page.get_by_text("Uploading: chunk 2 of 3").wait_for()
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky header shows mid-page
        page.screenshot(path=OUT / f"uploader-sending-{size}.png", full_page=True)
        page.get_by_role("button", name="Pause").click()
        page.locator(".upload-summary").wait_for()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=OUT / f"uploader-paused-{size}.png", full_page=True)
        page.unroute("**/chunks/1")
        page.goto(release)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=OUT / f"uploader-unfinished-{size}.png", full_page=True)
        page.get_by_role("button", name="Discard").first.click()
        page.locator("#unfinished-uploads .unfinished").wait_for(state="detached")


if __name__ == "__main__":
    main()
