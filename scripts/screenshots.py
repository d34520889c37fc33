"""Screenshots of the hub's pages at desktop and phone widths, for a look by a person.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]
Expects the demo data (scripts/run loads it). Writes PNG files into OUT_DIR.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
REPO = "/demo/opengradient-1-hour-volatility-ethusdt1"
PAGES = {
    "home": "/",
    "models": "/models?q=ethereum",
    "user": "/demo/",
    "repo": f"{REPO}/",
    "releases": f"{REPO}/releases/",
    "release": f"{REPO}/releases/v1.01/",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "404": "/demo/no-such-model/",
    "file": f"{REPO}/releases/v1.02/files/model.onnx",
}
OWNER_PAGES = {
    "new": "/new",
    "edit": f"{REPO}/edit/",
    "settings": f"{REPO}/settings/",
    "release-new": f"{REPO}/releases/new/",
    "release-owner": f"{REPO}/releases/v1.02/",
    "password": "/accounts/password/",
}
STAFF_FILE = "/demo/btc-price-direction/releases/v2.00/files/direction.onnx"
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
            page.goto(BASE + "/accounts/login/")
            page.fill("#id_username", "demo")
            page.fill("#id_password", "demo-password-123")
            page.click("button[type=submit]")
            for name, path in OWNER_PAGES.items():
                page.goto(BASE + path)
                page.wait_for_timeout(300)
                page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
            page.close()
            _staff_pages(browser, size, width, height)
        browser.close()
    print(f"screenshots written to {OUT}/")


def _staff_pages(browser, size: str, width: int, height: int) -> None:
    """The test-inference panel, a job followed to its end, and the staff job list."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(BASE + "/accounts/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "staff-password-123")
    page.click("button[type=submit]")
    page.goto(BASE + STAFF_FILE)
    page.screenshot(path=OUT / f"inference-panel-{size}.png", full_page=True)
    page.fill("#run-inference textarea", "[[1, 2, 3]]")
    page.click("#run-inference button[type=submit]")
    page.screenshot(path=OUT / f"inference-invalid-{size}.png", full_page=True)
    page.fill("#run-inference textarea", "[[0.4, -1.2, 0.05, 2, 0.7, 0.1], [1, 1, 1, 1, 1, 1]]")
    page.click("#run-inference button[type=submit]")
    page.wait_for_selector("#job-live[data-finished]", timeout=60_000)
    page.screenshot(path=OUT / f"inference-job-{size}.png", full_page=True)
    page.goto(BASE + "/inference/jobs/")
    page.screenshot(path=OUT / f"inference-jobs-{size}.png", full_page=True)
    page.close()


if __name__ == "__main__":
    main()
