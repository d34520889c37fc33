"""Every browser test fails when a page it opened broke the Content-Security-Policy, or when
axe-core finds a serious or critical accessibility violation on any page it visited."""

import pytest

from hub.celery import app as celery_app
from tests.browser.axe import AxeWatch, hook_actions

# The browser reports a blocked script, style, image or fetch as an event on the document;
# Chromium also logs it on the console ("… violates the following Content Security Policy
# directive …"). Both are collected.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked `
    + `${event.blockedURI || "inline code"} at ${event.documentURI}`);
});
"""


@pytest.fixture(autouse=True)
def axe_watch(request, monkeypatch):
    """axe-core checks every page of every browser context the test opens (the `page`
    fixture's and those the test makes with `browser.new_context`); the test fails on a
    serious or critical violation, named by rule, element and page."""
    if "browser" not in request.fixturenames and "page" not in request.fixturenames:
        yield None
        return
    watch = AxeWatch()
    browser = request.getfixturevalue("browser")
    new_context = browser.new_context

    def new_watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        if kwargs.get("java_script_enabled", True):
            watch.watch(context)
        else:  # axe is JavaScript: such a context's pages are checked where they run it
            watch.without_js.append(context)
        return context

    monkeypatch.setattr(browser, "new_context", new_watched_context)
    hook_actions(watch, monkeypatch)
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    yield watch
    if page is not None and not page.is_closed():
        watch.check_open_pages(page.context)
    if watch.found or watch.errors:
        pytest.fail(watch.report(), pytrace=False)


@pytest.fixture(autouse=True)
def csp_violations(request, axe_watch):
    """The CSP violations logged by the test's pages; the test fails if there are any."""
    if "page" not in request.fixturenames:
        yield []
        return
    page = request.getfixturevalue("page")
    found: list[str] = []
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.context.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and found.append(f"{message.page.url if message.page else '?'}: {message.text}")
        ),
    )
    yield found
    if found:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def mails(mailoutbox):
    """The account mails the test's pages sent, from Django's outbox: the live server runs in
    this process, and the mail tasks run in it too (eagerly)."""
    celery_app.conf.task_always_eager = True  # the mail is sent in the live server's request
    yield mailoutbox
    celery_app.conf.task_always_eager = False
