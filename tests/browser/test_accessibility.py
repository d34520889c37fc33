"""axe-core on the hub's pages: the hook in conftest.py catches what it should, and the main
pages a visitor and a publisher see pass every rule, minor and moderate ones included
(heading levels, landmarks), not only the serious and critical ones every test enforces."""

import pytest

from inference.tests.helpers import onnx_file
from tests.browser.axe import run_axe
from tests.browser.helpers import log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = "/quant/lending-risk/"


def test_the_hook_names_a_violation_by_rule_element_and_page(hub_server, seeded, page, axe_watch):
    page.goto(hub_server + "/")
    missing_alt = '<img src="/favicon.ico" id="no-alt">'
    page.evaluate(
        "(html) => document.querySelector('main').insertAdjacentHTML('beforeend', html)",
        missing_alt,
    )
    axe_watch.check(page)
    report = axe_watch.report()
    assert [v.rule for v in axe_watch.found] == ["image-alt"], report
    assert "critical image-alt" in report and "#no-alt" in report
    assert f"page: {hub_server}/" in report
    axe_watch.found.clear()  # seen, so this test passes


@pytest.mark.parametrize("width", [1280, 390])
def test_the_main_pages_pass_every_rule(hub_server, seeded, shared_storage, page, width):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="lending-risk", tags=["credit"])
    onnx_file(repo, "models/risk.onnx")
    page.set_viewport_size({"width": width, "height": 900})
    pages = [
        "/",
        "/models",
        "/models?q=risk",
        "/quant/",
        REPO,
        REPO + "releases/",
        REPO + "releases/v1.00/",
        REPO + "releases/v1.00/files/models/risk.onnx",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/signup/sent/",
        "/no/such-page/",
    ]
    found = {}
    for path in pages:
        page.goto(hub_server + path)
        if violations := run_axe(page):
            found[path] = [(v["impact"], v["rule"], v["targets"][:3]) for v in violations]
    log_in(page, hub_server, owner, REPO + "edit/")
    for path in (REPO + "edit/", REPO + "settings/", REPO + "releases/v1.00/", "/new"):
        page.goto(hub_server + path)
        if violations := run_axe(page):
            found[path] = [(v["impact"], v["rule"], v["targets"][:3]) for v in violations]
    assert found == {}
