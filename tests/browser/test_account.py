"""Account basics in Chromium: a forgotten password reset from the mailed link (on a phone),
the profile edited in the account settings and shown on the user page, and an e-mail change
confirmed from the new address. Mails are read from Django's outbox: the live server runs in
this process, and the mail tasks run in it too (eagerly)."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.helpers import link_in, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-fresh-passphrase-for-walker-7"


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_forgotten_password_is_reset_from_the_mailed_link_on_a_phone(
    hub_server, seeded, browser, mails
):
    UserFactory(username="walker", email="walker@example.com")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(hub_server + "/accounts/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
        assert fits_the_screen(page)
        page.get_by_label("E-mail address").fill("Walker@Example.com")
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
        (message,) = mails
        assert message.to == ["walker@example.com"]

        page.goto(link_in(message, hub_server))
        expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
        assert "/set-password/" in page.url  # the token left the address bar
        assert fits_the_screen(page)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set the new password").click()
        expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()

        page.get_by_role("main").get_by_role("link", name="Log in").click()
        page.fill("#id_username", "walker")
        page.fill("#id_password", NEW_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(hub_server + "/")

        page.goto(link_in(message, hub_server))  # a link works once
        expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    finally:
        context.close()


def test_the_profile_is_edited_in_the_account_settings_and_shown_on_the_user_page(
    hub_server, seeded, page
):
    owner = UserFactory(username="ada")
    log_in(page, hub_server, owner, "/")
    page.get_by_label("Account menu").click()
    page.get_by_role("link", name="Account settings").click()
    expect(page.get_by_role("heading", name="Public profile")).to_be_visible()
    expect(page.get_by_role("link", name="Profile")).to_have_attribute("aria-current", "page")

    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Bio").fill("Engines and models.\nMostly ONNX.")
    page.get_by_label("Website").fill("javascript:alert(1)")
    page.get_by_label("GitHub").fill("ada")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".field-invalid")).to_contain_text("That is not a web address")
    assert User.objects.get(username="ada").display_name == ""

    page.get_by_label("Website").fill("ada.example.com")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".message").first).to_contain_text("Your profile is saved")
    page.get_by_role("link", name="Your page →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace ada")
    expect(page.locator(".profile-bio")).to_have_text("Engines and models.Mostly ONNX.")
    github = page.get_by_role("link", name="github.com/ada")
    expect(github).to_have_attribute("href", "https://github.com/ada")
    expect(github).to_have_attribute("rel", "nofollow ugc noopener")
    expect(page.get_by_role("link", name="ada.example.com")).to_be_visible()


def test_a_new_address_is_confirmed_from_the_link_mailed_to_it(hub_server, seeded, page, mails):
    owner = UserFactory(username="grace", email="grace@example.com")
    log_in(page, hub_server, owner, "/accounts/settings/email/")
    page.get_by_label("New e-mail address").fill("grace@navy.example")
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Send the confirmation link").click()
    expect(page.locator(".message").first).to_contain_text("We sent a link to grace@navy.example")
    (message,) = mails
    page.goto(link_in(message, hub_server))
    page.get_by_role("button", name="Use this address").click()
    expect(page.locator(".message").first).to_contain_text("now grace@navy.example")
    expect(page.locator(".current-email")).to_have_text("grace@navy.example")
    assert [m.to for m in mails] == [["grace@navy.example"], ["grace@example.com"]]
