"""What a file page shows of the file itself: Markdown rendered, code highlighted, a CSV as a
table of its first rows, or a plain word that there is nothing to show (binary, empty, removed).

Only a bounded prefix of the blob is read from storage (`MAX_BYTES`; one ranged GET on S3),
so a 10 GiB file costs the same as a small one: a text file larger than the limit shows its
first part and says so. Text is UTF-8 (a byte-order mark is dropped); a NUL byte or
bytes that are not UTF-8 make the file "not text". Markdown goes through the cards' sanitizer
(`hub.markdown`); code is highlighted by Pygments with the classes that `static/css/highlight.css`
colours. Blobs never change, so a rendered preview is cached under the Blob ID. Markdown that
`hub.markdown` will not render (too large, too slow, nested too deeply) is shown as plain text
under a note that says why; that answer is cached for an hour only, as "too slow" depends on
how busy the machine was.

Who may read the file is decided before: callers pass a file they got from a selector.
"""

import codecs
import csv
import hashlib
import io
import logging
import posixpath
from dataclasses import dataclass, field, replace

from django.core.cache import cache
from django.utils.html import format_html
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from hub import storage
from hub.formats import human_size
from hub.markdown import MAX_HTML_CHARS, Unrenderable, render_markdown
from releases.models import ReleaseFile
from repos.access import content_usable

# Highlighting 128 KiB of Python takes ~0.5 s once (then cached) and makes ~0.7 MB of HTML.
MAX_BYTES = 128 * 1024
CACHE_VERSION = 4  # bump when the rendering changes: cached previews are then not read
CACHE_SECONDS = 7 * 24 * 3600
FALLBACK_CACHE_SECONDS = 3600  # Markdown shown as plain text: may render when less busy
TABLE_ROWS = 100  # rows of a CSV shown under its header
TABLE_COLUMNS = 50  # and its columns: a row of 100,000 commas must not make 10 million cells
# A preview's HTML is bounded as a card's is: line numbers and highlighting multiply short
# lines and short tokens (128 KiB of newlines would make 4.7 MB), so past it fewer lines show.
MAX_HTML = MAX_HTML_CHARS

log = logging.getLogger(__name__)

MARKDOWN = {".md", ".markdown", ".mdown", ".mkd"}
DELIMITERS = {".csv": ",", ".tsv": "\t"}
# Names that are binary by convention: not even read. Anything else is read and judged by
# its bytes (a NUL, or not UTF-8, is "not text").
BINARY = {
    ".onnx", ".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".keras", ".pb",
    ".tflite", ".npy", ".npz", ".pkl", ".pickle", ".joblib", ".gguf", ".ggml", ".msgpack",
    ".parquet", ".arrow", ".feather", ".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst",
    ".7z", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".pdf", ".wasm", ".so", ".dll",
    ".exe", ".mp3", ".wav", ".flac", ".mp4", ".webm", ".avi",
}  # fmt: skip


class Kind:
    MARKDOWN = "markdown"  # html: sanitized
    CODE = "code"  # html: Pygments' (highlighted, or plain text with line numbers)
    TABLE = "table"  # header + rows
    BINARY = "binary"
    EMPTY = "empty"
    BLOCKED = "blocked"  # nothing of the content is shown
    UNAVAILABLE = "unavailable"  # storage did not answer: said, and not cached


@dataclass(frozen=True)
class Preview:
    kind: str
    html: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    language: str = ""  # the lexer's name, for code
    note: str = ""  # a sentence for people: what part is shown, or why nothing is
    fallback: bool = False  # Markdown that could not be rendered, shown as plain text

    @property
    def chars(self) -> int:
        """About how much of the page it makes."""
        cells = sum(len(cell) for row in [self.header, *self.rows] for cell in row)
        return len(self.html) + cells

    @property
    def shows_content(self) -> bool:
        return self.kind in (Kind.MARKDOWN, Kind.CODE, Kind.TABLE)


def file_preview(rf: ReleaseFile) -> Preview:
    """The preview of a readable file, from the cache when another page made it already."""
    blob = rf.blob
    if not content_usable(blob):
        return Preview(Kind.BLOCKED)
    if blob.size == 0:
        return Preview(Kind.EMPTY, note="This file is empty.")
    how = _how(rf.name)
    if how == Kind.BINARY:
        return _binary(rf.name)
    limit = MAX_BYTES
    key = cache_key(rf)
    preview = cache.get(key)
    if preview is None:
        try:
            data = storage.read_head(storage.storage(), blob.storage_key, min(blob.size, limit))
        except Exception:  # storage away or object missing: the page still answers
            log.exception("preview of blob %s could not be read", blob.blob_id)
            return Preview(
                Kind.UNAVAILABLE,
                note="The contents could not be read just now; reload the page in a moment.",
            )
        preview = render(rf.name, data, size=blob.size)
        if preview.chars <= MAX_HTML:  # never an oversized value in the cache (and broker)
            cache.set(key, preview, FALLBACK_CACHE_SECONDS if preview.fallback else CACHE_SECONDS)
    return preview


def cache_key(rf: ReleaseFile) -> str:
    # The name is in the key: it chooses the highlighting, so the same bytes named `a.py`
    # here and `b.js` elsewhere are two previews, and neither tells of the other.
    name = hashlib.sha256(rf.name.lower().encode()).hexdigest()[:16]
    return f"preview:{CACHE_VERSION}:{MAX_BYTES}:{rf.blob.blob_id}:{name}"


def render(name: str, data: bytes, *, size: int) -> Preview:
    """The preview of a file called `name` whose first bytes are `data` (of `size` in all)."""
    how = _how(name)
    if how == Kind.BINARY:
        return _binary(name)
    truncated = len(data) < size
    text = _decode(data, truncated=truncated)
    if text is None:
        return Preview(
            Kind.BINARY, note="This file is not text (not UTF-8): there is nothing to preview."
        )
    if truncated:  # end on a whole line: half a line, row or word would be misleading
        text = text[: text.rfind("\n") + 1] or text
    part = (
        f"Showing the first {human_size(len(data))} of {human_size(size)}; "
        "download the file to see all of it."
        if truncated
        else ""
    )
    if how == Kind.MARKDOWN:
        try:
            return Preview(Kind.MARKDOWN, html=render_markdown(text), note=part)
        except Unrenderable as error:
            plain = _code(
                name,
                text,
                note=f"{error.message} It is shown as plain text.",
                lexer=TextLexer(stripnl=False, ensurenl=False),
            )
            return replace(plain, fallback=True)
    if how.startswith(Kind.TABLE):
        table = _table(text, DELIMITERS[how.removeprefix(Kind.TABLE)], truncated=truncated)
        if table is not None:
            return table
    return _code(name, text, note=part)


def _how(name: str) -> str:
    """How a file is previewed, from its name alone: markdown, table.csv, code or binary."""
    ext = posixpath.splitext(name.lower())[1]
    if ext in BINARY:
        return Kind.BINARY
    if ext in MARKDOWN:
        return Kind.MARKDOWN
    if ext in DELIMITERS:
        return Kind.TABLE + ext
    return Kind.CODE


def _binary(name: str) -> Preview:
    if name.lower().endswith(".onnx"):
        return Preview(Kind.BINARY, note="An ONNX model is binary: its signature is shown below.")
    return Preview(Kind.BINARY, note="This is a binary file: there is nothing to preview.")


def _decode(data: bytes, *, truncated: bool) -> str | None:
    """The bytes as text, or None when they are not UTF-8 text. A prefix may end inside a
    character: that tail is left out rather than taken for an error."""
    if b"\x00" in data:
        return None
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(data, final=not truncated)
    except UnicodeDecodeError:
        return None


def _code(name: str, text: str, *, note: str, lexer: Lexer | None = None) -> Preview:
    try:
        lexer = lexer or get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False, ensurenl=False)
    formatter = HtmlFormatter(cssclass="highlight", wrapcode=True, linenos="inline")
    html = highlight(text, lexer, formatter)
    if len(html) > MAX_HTML:
        # The lines that fit, in proportion; plain (escaped, at most 6 characters each) if
        # even they do not.
        shown = _first_lines(text, len(text) * MAX_HTML // len(html) * 9 // 10)
        html = highlight(shown, lexer, formatter)
        if len(html) > MAX_HTML:
            shown = _first_lines(shown, MAX_HTML // 6)
            html = format_html('<div class="highlight"><pre><code>{}</code></pre></div>', shown)
        lines = shown.count("\n") or 1
        more = (
            f"Showing the first {lines:,} line{'s' * (lines != 1)} ({human_size(len(shown))}): "
            "the rest would make too large a page; download the file to see all of it."
        )
        note = f"{note} {more}" if note else more
    return Preview(Kind.CODE, html=html, language=lexer.name, note=note)


def _first_lines(text: str, chars: int) -> str:
    """At most `chars` characters of `text`, ending on a whole line where there is one."""
    head = text[: max(chars, 1)]
    return head[: head.rfind("\n") + 1] or head


def _table(text: str, delimiter: str, *, truncated: bool) -> Preview | None:
    """The header and first rows; None when the text is not a table csv can read."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return None
    rows = [row for row in rows if row]
    if not rows:
        return None
    header, body = rows[0], rows[1:]
    shown = body[:TABLE_ROWS]
    widest = max(len(row) for row in [header, *shown])
    width = min(widest, TABLE_COLUMNS)
    pad = lambda row: row[:width] + [""] * (width - len(row))  # noqa: E731
    if truncated:
        note = (
            f"Showing the first {len(shown):,} rows; the file has more: download it to see "
            "them all."
        )
    elif len(body) > len(shown):
        note = f"Showing the first {len(shown):,} of {len(body):,} rows."
    else:
        note = f"All {len(body):,} row{'s' * (len(body) != 1)}."
    if widest > width:
        note += f" Showing the first {width} of {widest:,} columns."
    language = "TSV" if delimiter == "\t" else "CSV"
    rows = [pad(row) for row in shown]
    return Preview(Kind.TABLE, header=pad(header), rows=rows, language=language, note=note)
