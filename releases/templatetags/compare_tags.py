"""The rows of the compare page's file tables. A comparison of large releases lists hundreds
of files; rows built here, with every value escaped by `html.escape`, render several times
faster than through the template engine or `format_html` (whose lazy-string checks cost more
than the row), which keeps the page within its time budget (bench/compare.py)."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from hub.formats import byte_count, human_size
from releases.compare import FileChange, Side

register = template.Library()

BADGE = ' <span class="badge badge-breaking">Breaks callers</span>'


def _blob(side: Side) -> str:
    return f'<code class="blob-id" title="{escape(side.blob_id)}">{escape(side.short_id)}</code>'


def _row(change: FileChange, base_url: str, head_url: str) -> str:
    if change.status == "changed":
        old, new = change.old, change.new
        path = f"{escape(change.path)}</a>{BADGE if change.breaking else ''}"
        url = head_url
        size = (
            f'<span title="{byte_count(old.size)} → {byte_count(new.size)}">'
            f"{human_size(old.size)} → {human_size(new.size)}</span>"
        )
        blob = f"{_blob(old)} → {_blob(new)}"
    else:
        side, url = (change.new, head_url) if change.status == "added" else (change.old, base_url)
        summary = side.signature_summary if side.is_onnx else ""
        path = escape(change.path) + "</a>"
        if summary:
            path += f'<span class="sig-summary">{escape(summary)}</span>'
        size, blob = human_size(side.size), _blob(side)
    href = escape(f"{url}files/{change.url_path}")
    return (
        f'<tr><td class="path"><a href="{href}">{path}</td>'
        f'<td class="num">{size}</td><td class="blob">{blob}</td></tr>'
    )


@register.simple_tag
def file_rows(changes: list[FileChange], base_url: str, head_url: str) -> SafeString:
    """`<tr>` rows of added, removed or changed files; links go to the release that has the
    file (the head's version of a changed one)."""
    return mark_safe("\n".join(_row(change, base_url, head_url) for change in changes))  # noqa: S308
