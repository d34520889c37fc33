"""axe-core (npm, pinned in package.json) on every page a browser test visits.

Each document is checked once, just before the test's first action on it (a click, a key
press, a navigation: so after it loaded and before anything can take it away), and the
pages still open are checked at the end of the test. The check runs in the page through
Playwright's `evaluate` (the DevTools protocol), which the page's Content-Security-Policy
does not govern: the site's policy stays as strict as in production.
"""

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")

# Parts of pages that are not the hub's own markup, each with the reason it is left out:
# select2 (the tags' autocomplete in Django's admin, vendored by Django) renders its search
# box without a label and spans inside its <ul>; Swagger UI (the API's documentation page,
# django-ninja's copy) draws its method badges in low contrast and puts links inside its
# summary buttons. Their markup is not ours to change.
EXCLUDE = [".select2-container", ".swagger-ui"]

# `preload: false`: axe would otherwise copy the page's stylesheets into <style> elements to
# read them (for one rule, css-orientation-lock), which the CSP rightly blocks.
RUN = """async (exclude) => {
  window.__axeChecked = true;
  const context = { include: [document], exclude: exclude.map((s) => [s]) };
  const result = await axe.run(context, { resultTypes: ["violations"], preload: false });
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
    summary: v.nodes[0] ? v.nodes[0].failureSummary : "",
  }));
}"""


def axe_source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` (scripts/lib.sh ensure_node_tools)")
    return AXE.read_text()


def run_axe(page) -> list[dict]:
    """axe's violations on the page as it is now, every impact (axe loaded once a document)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):  # once a document
        page.evaluate(axe_source())
    return page.evaluate(RUN, EXCLUDE)


@dataclass
class Violation:
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str]
    summary: str

    def __str__(self) -> str:
        shown = "\n      ".join(self.targets[:5])
        more = f" (and {len(self.targets) - 5} more)" if len(self.targets) > 5 else ""
        summary = self.summary.replace("\n", "\n      ")
        return (
            f"{self.impact} {self.rule}: {self.help}\n    page: {self.url}\n"
            f"    where{more}:\n      {shown}\n    {summary}"
        )


@dataclass
class AxeWatch:
    """Collects the serious and critical violations of every page of the contexts it watches."""

    found: list[Violation] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)
    without_js: list = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def watch(self, context) -> None:
        """Check the pages of `context` when the context closes (the actions are hooked by
        `hook_actions`)."""
        self.contexts.append(context)
        close = context.close

        def check_then_close(*args, **kwargs):
            self.check_open_pages(context)
            return close(*args, **kwargs)

        context.close = check_then_close

    def check_open_pages(self, context) -> None:
        for page in context.pages:
            if not page.is_closed():
                self.check(page)

    def check(self, page) -> None:
        url = page.url
        if not url.startswith(("http://", "https://")):
            return
        try:
            violations = run_axe(page)
        except Exception as error:
            if "context was destroyed" in str(error) or "closed" in str(error):
                return  # the page went away while axe ran: nothing left to check
            self.errors.append(f"axe-core could not check {url}: {error}")
            return
        self.checked.append(url)
        for v in violations:
            if v["impact"] not in FAILING:
                continue
            key = (url, v["rule"], tuple(v["targets"]))
            if key not in self._seen:
                self._seen.add(key)
                self.found.append(Violation(url=url, **v))

    def before_action(self, page) -> None:
        """Check `page`'s document unless it was checked already."""
        if page.context in self.without_js:
            return
        if page.url.startswith(("http://", "https://")):
            try:
                if page.evaluate("() => window.__axeChecked === true"):
                    return
            except Exception:
                return  # navigating or closed: the next action or the end checks it
            self.check(page)

    def report(self) -> str:
        lines = [f"  {v}" for v in self.found] + [f"  {e}" for e in self.errors]
        return f"axe-core found {len(self.found)} serious or critical violation(s):\n" + (
            "\n".join(lines)
        )


# The actions after which a page may be a new document: each first checks the one it acts on.
ACTIONS = {
    "Page": ("goto", "click", "press", "reload", "go_back", "go_forward", "check"),
    "Locator": ("click", "press", "check", "select_option", "set_input_files"),
    "Keyboard": ("press",),
}


def hook_actions(watch: AxeWatch, monkeypatch) -> None:
    """Make Playwright's navigating actions check the page first, for the test's duration."""
    from playwright.sync_api import Keyboard, Locator, Page

    def owner(obj):
        if isinstance(obj, Page):
            return obj
        if isinstance(obj, Locator):
            return obj.page
        pages = [p for context in watch.contexts for p in context.pages]
        return next((p for p in pages if p.keyboard is obj), None)

    for cls in (Page, Locator, Keyboard):
        for name in ACTIONS[cls.__name__]:
            original = getattr(cls, name)

            def checked(self, *args, _original=original, **kwargs):
                page = owner(self)
                if page is not None and not page.is_closed():
                    watch.before_action(page)
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, checked)
