"""Markdown to safe HTML, used for descriptions, release notes and the editor preview.

Rendering is done by Python-Markdown (tables, fenced code with Pygments classes, heading
anchors); the result is then cleaned by nh3 (the ammonia sanitizer) with an allow-list, so
no script, event handler, style or `javascript:` URL survives whatever the input was.
"""

import html
import re

import markdown
import nh3
from pygments.token import STANDARD_TYPES

EXTENSIONS = [
    "markdown.extensions.tables",
    "markdown.extensions.sane_lists",
    "markdown.extensions.toc",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.tasklist",
    "pymdownx.tilde",
]
EXTENSION_CONFIGS = {
    "markdown.extensions.toc": {"permalink": False},
    "pymdownx.highlight": {"css_class": "highlight", "guess_lang": False},
    "pymdownx.tasklist": {"custom_checkbox": False},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "th": {"align"}, "td": {"align"},
    "input": {"checked"},
    "ol": {"start"},
}  # fmt: skip
# Only the classes the renderer itself emits: code highlighting and task lists. A model card
# cannot borrow the site's own classes to fake an alert or a button.
ALLOWED_CLASSES = {
    "div": {"highlight"},
    "span": set(STANDARD_TYPES.values()) - {""},
    "ul": {"task-list"},
    "li": {"task-list-item"},
}
# Task-list checkboxes are the only inputs: whatever an <input> claimed, it becomes one.
FORCED_ATTRIBUTES = {"input": {"type": "checkbox", "disabled": "disabled"}}
ID_PREFIX = "user-content-"  # heading anchors cannot collide with the page's own ids
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


# A Markdown table gives every row as many cells as its header has columns, so a few KB of a
# wide header over many short rows would make millions of cells: past this many, the tables
# extension is left out and such a text renders as the paragraphs it is.
MAX_TABLE_CELLS = 20_000
WITHOUT_TABLES = [name for name in EXTENSIONS if name != "markdown.extensions.tables"]


def _table_cells(text: str) -> int:
    """An upper bound of the cells the tables extension could make of `text`."""
    widest = rows = 0
    for line in text.splitlines():
        if "|" in line:
            rows += 1
            widest = max(widest, line.count("|"))
    return widest * rows


def render_markdown(text: str) -> str:
    """Return sanitized HTML for user-written Markdown."""
    if not text:
        return ""
    html = markdown.markdown(
        text,
        extensions=EXTENSIONS if _table_cells(text) <= MAX_TABLE_CELLS else WITHOUT_TABLES,
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
        allowed_classes=ALLOWED_CLASSES,
        set_tag_attribute_values=FORCED_ATTRIBUTES,
        id_prefix=ID_PREFIX,
    )


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


def markdown_excerpt(text: str, limit: int = 180) -> str:
    """The first paragraph of Markdown as one line of plain text, for cards and meta tags."""
    match = _FIRST_PARAGRAPH.search(render_markdown(text))
    if not match:
        return ""
    plain = " ".join(html.unescape(nh3.clean(match.group(1), tags=set())).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
