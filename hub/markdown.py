"""Markdown to safe HTML, used for descriptions, release notes, file previews and the editor
preview.

Rendering is done by Python-Markdown (tables, fenced code with Pygments classes, heading
anchors); the result is then cleaned by nh3 (the ammonia sanitizer) with an allow-list, so
no script, event handler, style or `javascript:` URL survives whatever the input was.

Rendering is bounded, here and for every caller (`render_markdown`): Python-Markdown is pure
Python and has inputs that cost far more than their size (a few KB of reference links make
hundreds of MB of HTML; 16 KB of `[` take more than 20 s; lists nested a few hundred levels deep
overflow the stack). So the source is at most `MAX_SOURCE_CHARS`, lists and quotes nest at most
`MAX_NESTING` levels, the HTML is at most `MAX_HTML_CHARS` (estimated from the parsed tree,
before it is written out, then measured), and anything longer than a few lines renders in a
forked child process that is killed after `HUB_MARKDOWN_SECONDS` and cannot take more than
`CHILD_MEMORY` of memory. What does not pass raises `Unrenderable` with a sentence for people:
writers are refused with it, stored content shows it instead (`render_markdown_or_notice`).
"""

import contextlib
import html
import logging
import os
import re
import selectors
import signal
import time
from functools import cache
from xml.etree import ElementTree

import markdown
import nh3
from django.conf import settings
from django.utils.html import format_html
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pygments.token import STANDARD_TYPES

from hub.errors import Invalid
from hub.formats import human_size

log = logging.getLogger(__name__)

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
    # No `[TOC]` marker: each one is a copy of every heading, so markers × headings is
    # quadratic (a few KB of both take minutes).
    "markdown.extensions.toc": {"permalink": False, "marker": ""},
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


# The bounds. A model card of the size of a long one on other hubs (50-100 KB) renders in
# well under a second and makes a few hundred KB of HTML; code highlighting makes the most
# HTML of a character, about 10 (128 KB of Python fenced: 1.2 MB).
MAX_SOURCE_CHARS = 128 * 1024  # as much as a file preview reads of a file (releases.previews)
MAX_HTML_CHARS = 1024 * 1024
MAX_NESTING = 32  # lists and block quotes inside each other
# Texts up to this long render in the caller's own process: the worst ones of this size that
# bench/markdown_render.py knows (runs of `[`, quadratic) take tens of milliseconds, about
# what a fork costs. At 1,024 characters they take most of a second.
IN_PROCESS_CHARS = 256
CHILD_MEMORY = 512 * 1024 * 1024  # what a rendering child may allocate beyond its parent

# A Markdown table gives every row as many cells as its header has columns, so a few KB of a
# wide header over many short rows would make millions of cells: past this many, the tables
# extension is left out and such a text renders as the paragraphs it is.
MAX_TABLE_CELLS = 20_000
WITHOUT_TABLES = [name for name in EXTENSIONS if name != "markdown.extensions.tables"]


class Unrenderable(Invalid):
    """Markdown the hub will not render; the message says why, for the person who wrote it."""


def _too_long(chars: int) -> Unrenderable:
    return Unrenderable(
        f"This Markdown is too large to render: {chars:,} characters, and the hub renders at "
        f"most {MAX_SOURCE_CHARS:,}."
    )


def _too_much_html() -> Unrenderable:
    return Unrenderable(
        "This Markdown is too large to render: its HTML would pass "
        f"{human_size(MAX_HTML_CHARS)} (reference links repeat their address at every use)."
    )


def _too_deep() -> Unrenderable:
    return Unrenderable(
        "This Markdown is nested too deeply to render: lists and quotes go at most "
        f"{MAX_NESTING} levels deep."
    )


def _too_slow(seconds: int) -> Unrenderable:
    return Unrenderable(
        f"This Markdown is too large to render: it takes longer than {seconds} s "
        "(long runs of brackets or markers cost the renderer far more than their size)."
    )


def _broken() -> Unrenderable:
    return Unrenderable("This Markdown could not be rendered.")


def _not_unicode() -> Unrenderable:
    return Unrenderable(
        "This Markdown holds characters that are not Unicode (a lone surrogate such as \\ud800)."
    )


class _Bounds(Extension):
    """Stops the parser past `MAX_NESTING` levels, and before writing out a tree whose HTML
    would pass `MAX_HTML_CHARS`: a reference link repeated 20,000 times over one long address
    is a small tree of shared strings until it is written out."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        parse = md.parser.parseBlocks
        parents: list[ElementTree.Element] = []

        def bounded(parent: ElementTree.Element, blocks: list[str]) -> None:
            parents.append(parent)
            try:
                nested = {id(p) for p in parents if p.tag in ("li", "blockquote")}
                if len(nested) > MAX_NESTING or len(parents) > 8 * MAX_NESTING:
                    raise _too_deep()
                parse(parent, blocks)
            finally:
                parents.pop()

        md.parser.parseBlocks = bounded
        # After the inline patterns (20) and prettify (10), before the HTML is written out.
        md.treeprocessors.register(_HtmlSize(md), "hub_html_size", 5)


class _HtmlSize(Treeprocessor):
    def run(self, root: ElementTree.Element) -> None:
        size = sum(len(str(block)) for block in self.md.htmlStash.rawHtmlBlocks)
        for element in root.iter():
            size += 2 * len(str(element.tag)) + 5 + len(element.text or "")
            size += len(element.tail or "")
            size += sum(len(k) + len(v) + 4 for k, v in element.attrib.items())
            if size > MAX_HTML_CHARS:
                raise _too_much_html()


@cache
def _renderer(tables: bool) -> markdown.Markdown:
    """A renderer made once per process (extensions are loaded once); used as it is only in
    a child, which throws its state away, and copied by `_fresh` otherwise."""
    return _fresh(tables)


def _fresh(tables: bool) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[*(EXTENSIONS if tables else WITHOUT_TABLES), _Bounds()],
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )


def _table_cells(text: str) -> int:
    """An upper bound of the cells the tables extension could make of `text`."""
    widest = rows = 0
    for line in text.splitlines():
        if "|" in line:
            rows += 1
            widest = max(widest, line.count("|"))
    return widest * rows


def _render(text: str, md: markdown.Markdown) -> str:
    try:
        produced = md.convert(text)
        if len(produced) > MAX_HTML_CHARS:
            raise _too_much_html()
        cleaned = nh3.clean(
            produced,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=ALLOWED_URL_SCHEMES,
            link_rel="nofollow noopener noreferrer ugc",
            strip_comments=True,
            allowed_classes=ALLOWED_CLASSES,
            set_tag_attribute_values=FORCED_ATTRIBUTES,
            id_prefix=ID_PREFIX,
        )
    except Unrenderable:
        raise
    except RecursionError:  # a structure the nesting bound does not see
        raise _too_deep() from None
    except Exception:  # a fault of the renderer's on odd input: the page still answers
        log.exception("markdown renderer failed chars=%s", len(text))
        raise _broken() from None
    if len(cleaned) > MAX_HTML_CHARS:  # nh3 adds `rel` to every link
        raise _too_much_html()
    return cleaned


def render_markdown(text: str) -> str:
    """Sanitized HTML for user-written Markdown; raises `Unrenderable` past the bounds (see
    the module), with a message for people."""
    if not text:
        return ""
    if len(text) > MAX_SOURCE_CHARS:
        raise _too_long(len(text))
    if not is_unicode(text):  # parsed from JSON's "\\ud800": nothing could encode it
        raise _not_unicode()
    tables = _table_cells(text) <= MAX_TABLE_CELLS
    try:
        if len(text) <= IN_PROCESS_CHARS or not hasattr(os, "fork"):
            return _render(text, _fresh(tables))
        return _in_child(text, tables)
    except Unrenderable as error:
        log.info("markdown not rendered chars=%s reason=%r", len(text), error.message)
        raise


def is_unicode(text: str) -> bool:
    """Whether `text` can be written as UTF-8: no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def render_markdown_or_notice(text: str) -> str:
    """Like `render_markdown`, but what cannot be rendered becomes a short notice saying why
    (the editor's preview; content already stored)."""
    try:
        return render_markdown(text)
    except Unrenderable as error:
        return unrenderable_notice(error.message)


def unrenderable_notice(message: str) -> str:
    """What is shown in place of Markdown that could not be rendered: why, in a sentence."""
    return format_html('<p class="markdown-unrendered">{}</p>', message)


# A child's answer: one byte of kind, then the HTML or the message, UTF-8.
_HTML, _REFUSED = b"H", b"U"


def _in_child(text: str, tables: bool) -> str:
    """Render in a forked child that is killed at the deadline: Python-Markdown cannot be
    interrupted in the process that runs it, and a thread cannot be stopped."""
    seconds = settings.HUB_MARKDOWN_SECONDS
    md = _renderer(tables)  # loaded before the fork: the child imports nothing
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, and leave without running the parent's exit handlers
        try:
            os.close(read_end)
            _child_limits(seconds)
            try:
                answer = _HTML + _render(text, md).encode()
            except Unrenderable as error:
                answer = _REFUSED + error.message.encode()
            except MemoryError:
                answer = _REFUSED + _too_much_html().message.encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(answer)
        finally:
            os._exit(0)
    os.close(write_end)
    chunks: list[bytes] = []
    received = 0
    deadline = time.monotonic() + seconds
    try:
        with selectors.DefaultSelector() as waiting:
            waiting.register(read_end, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not waiting.select(left):
                    raise _too_slow(seconds)
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if received > 4 * MAX_HTML_CHARS + 1:  # UTF-8: at most 4 bytes a character
                    raise _too_much_html()
    finally:
        os.close(read_end)
        # Killing a child that answered already is harmless (it is not reaped yet); one that
        # something else reaped is not there to kill or wait for.
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    answer = b"".join(chunks)
    if answer[:1] == _HTML:
        return answer[1:].decode()
    if answer[:1] == _REFUSED:
        raise Unrenderable(answer[1:].decode())
    raise _broken()  # the child died without answering: out of memory, say


def _child_limits(seconds: int) -> None:
    """Bounds the child keeps even if its parent dies (a web worker killed on its own timeout)."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # whatever the parent made of it: end
    signal.alarm(seconds + 1)
    try:
        import resource

        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + CHILD_MEMORY, size + CHILD_MEMORY))
    except (ImportError, OSError, ValueError):  # not Linux: the deadline still holds
        pass


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
# Where a block of rendered Markdown ends: its text and the next block's are set apart.
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|pre|blockquote|td|th|summary)>|<br>|<hr>")
_BLOCK_MARK = "\u2029"  # the paragraph separator: nh3 keeps it, Markdown never writes it


def markdown_excerpt(text: str, limit: int = 180) -> str:
    """The first paragraph of Markdown as one line of plain text, for cards and meta tags."""
    try:
        return html_excerpt(render_markdown(text), limit)
    except Unrenderable:
        return ""


def html_excerpt(rendered: str, limit: int = 180) -> str:
    """The first paragraph of HTML made by `render_markdown`, as one line of plain text."""
    match = _FIRST_PARAGRAPH.search(rendered)
    if not match:
        return ""
    plain = " ".join(html.unescape(nh3.clean(match.group(1), tags=set())).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def html_text_excerpt(rendered: str, limit: int = 200) -> str:
    """The text of HTML made by `render_markdown`, from the start, as one line of at most
    `limit` characters: blocks (paragraphs, list items, headings…) set apart by " · ". For
    lists of things whose Markdown may open with a heading or a list (release notes), made
    once when the Markdown is written: a list shows it, never the HTML."""
    text = html.unescape(nh3.clean(_BLOCK_END.sub(_BLOCK_MARK, rendered), tags=set()))
    blocks = (" ".join(block.split()) for block in text.split(_BLOCK_MARK))
    plain = " · ".join(block for block in blocks if block)
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 1]
    if " " in cut[limit // 2 :]:  # end on a word when one ends in the second half
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ·:;,") + "…"
