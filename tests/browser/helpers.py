from urllib.parse import quote

from playwright.sync_api import expect

from tests.factories import PASSWORD


def log_in(page, base: str, user, next_url: str) -> None:
    """Sign in through the site's log-in form and land on `next_url`."""
    page.goto(f"{base}/accounts/login/?next={quote(next_url)}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + next_url)
