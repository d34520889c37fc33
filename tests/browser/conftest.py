"""Every browser test fails when a page it opened broke the Content-Security-Policy."""

import pytest

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
def csp_violations(request):
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
