"""Serving a file's bytes over HTTP: ETag (the Blob ID), conditional requests, byte ranges,
and a presigned redirect on storage that serves its own URLs (S3).

Used by the page front door (`/<owner>/<name>/resolve/…`, `/blobs/<blob_id>`) and by the
API front doors that download files. Who may download what is decided before: callers pass
a file they got from a selector.
"""

import mimetypes
import re

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

from hub import storage
from hub.errors import Blocked
from releases.models import ReleaseFile
from releases.services.downloads import download_record
from repos.access import BLOCKED_MESSAGE, content_usable

RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
# Served as plain bytes whatever their name: a browser must never run a hub file as a page.
ACTIVE_TYPES = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml",
                "application/xml", "text/javascript", "application/javascript"}  # fmt: skip


def serve(request: HttpRequest, rf: ReleaseFile) -> HttpResponse:
    """The response for a GET or HEAD of `rf`'s bytes; raises Blocked for blocked content."""
    blob = rf.blob
    if not content_usable(blob):
        raise Blocked(BLOCKED_MESSAGE)
    etag = f'"{blob.blob_id}"'
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        return HttpResponse(status=304, headers={"ETag": etag})
    store = default_storage
    if storage.local_path(store, blob.storage_key) is None:  # e.g. S3: a presigned redirect
        _count(request, rf, first_byte=0)
        url = store.url(blob.storage_key, parameters={
            "ResponseContentDisposition": content_disposition_header(True, rf.name)
        })  # fmt: skip
        return HttpResponseRedirect(url)
    start, length, status = 0, blob.size, 200
    header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    match = RANGE_RE.match(header.strip()) if header else None
    if match and blob.size and if_range in (None, etag):
        # A Range that is malformed, multi-part, backwards (5-2) or for another version
        # (If-Range) gets the whole file, as HTTP says; one past the end gets 416.
        parsed = _parse_range(match, blob.size)
        if parsed == UNSATISFIABLE:
            return HttpResponse(status=416, headers={"Content-Range": f"bytes */{blob.size}"})
        if parsed is not None:
            start, length, status = parsed[0], parsed[1], 206
    _count(request, rf, first_byte=start)
    if status == 200 and request.method != "HEAD":
        response = FileResponse(
            store.open(blob.storage_key, "rb"), as_attachment=True, filename=rf.name
        )
    else:
        body = (
            []
            if request.method == "HEAD"
            else storage.iter_range(store, blob.storage_key, start, length)
        )
        response = StreamingHttpResponse(body, status=status)
        response["Content-Disposition"] = content_disposition_header(True, rf.name)
    response["Content-Type"] = content_type(rf.name)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["X-Blob-Id"] = blob.blob_id
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{blob.size}"
    return response


def _count(request: HttpRequest, rf: ReleaseFile, *, first_byte: int) -> None:
    """A download counts once: for a GET of the whole file or of its first range, not for a
    HEAD, a revalidation (304), the further ranges a download manager asks for, or the graph
    viewer reading the model to draw it (`?view=graph`)."""
    if request.method == "GET" and first_byte == 0 and request.GET.get("view") != "graph":
        download_record(repository_id=rf.release.repository_id)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in header.split(","))


UNSATISFIABLE = (-1, -1)


def _parse_range(match: re.Match, size: int) -> tuple[int, int] | None:
    """(start, length) of a single byte range; None to ignore the header (send everything);
    UNSATISFIABLE when it asks only for bytes past the end."""
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = min(int(last), size)
        return (size - length, length) if length else UNSATISFIABLE
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range (RFC 9110 14.1.1): the header is ignored
    if start >= size:
        return UNSATISFIABLE
    end = min(int(last), size - 1) if last else size - 1
    return start, end - start + 1


def content_type(filename: str) -> str:
    guessed = mimetypes.guess_type(filename)[0]
    if filename.lower().endswith(".onnx") or not guessed or guessed in ACTIVE_TYPES:
        return "application/octet-stream"
    return guessed
