"""A moderator works the reports queue in the admin with Chromium."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from playwright.sync_api import expect

from moderation import services
from moderation.models import Action, ModerationAction, Report, ReportStatus
from tests.factories import PASSWORD, RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_hides_a_reported_repository_from_the_queue(hub_server, seeded, page):
    owner = UserFactory(username="spammer")
    spam = RepositoryFactory(owner=owner, name="free-crypto-signals")
    fine = RepositoryFactory(owner=UserFactory(username="honest"), name="eth-volatility")
    for name in ("ana", "ben", "cy"):
        services.report_create(
            repository=spam, reporter=UserFactory(username=name), reason="spam", text="ads"
        )
    services.report_create(
        repository=fine, reporter=UserFactory(username="dee"), reason="other", text="typo"
    )
    moderator = UserFactory(username="mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))

    page.goto(hub_server + "/admin/")
    page.fill("#id_username", "mod")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Reports queue").click()

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("spammer/free-crypto-signals")
    expect(rows.first).to_contain_text("3")  # open reports on that repository
    rows.nth(0).locator("input.action-select").check()
    page.select_option("select[name=action]", "hide_reported_repositories")
    page.get_by_role("button", name="Go").click()

    expect(page.locator("h1")).to_contain_text("Hide the reported repositories")
    page.fill("textarea[name=reason]", "Advertising, not a model.")
    page.get_by_role("button", name="Hide the reported repositories").click()
    expect(page.locator(".messagelist")).to_contain_text("Hid 1 repository")

    # The queue now leads with the remaining open report.
    page.goto(hub_server + "/admin/moderation/report/?status__exact=open")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr")).to_contain_text("honest/eth-volatility")

    assert Client().get("/spammer/free-crypto-signals/").status_code == 404
    owner_client = Client()
    owner_client.force_login(owner)
    assert (
        "Advertising, not a model."
        in owner_client.get("/spammer/free-crypto-signals/").content.decode()
    )
    assert set(Report.objects.filter(repository=spam).values_list("status", flat=True)) == {
        ReportStatus.RESOLVED
    }
    hide = ModerationAction.objects.get(action=Action.HIDE)
    assert (hide.moderator_name, hide.reason) == ("mod", "Advertising, not a model.")
