"""The parts of a multipart/form-data request, taken as they arrive.

Django's own parsing (`request.POST`, `request.FILES`) would hold every file in memory or a
temporary file before the view runs. `parts()` hands out one part at a time instead, each
with a file-like `stream` over its bytes as the `multipart` package's push parser finds
them; a part must be read to its end before the next one is taken (`Part.drain()`), so
memory stays bounded by a few pieces however large the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.http import HttpRequest
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from hub import storage
from hub.errors import Invalid

_END = object()


def broken(exc: MultipartError) -> Invalid:
    return Invalid(f"The request is not complete multipart/form-data ({exc}); send it again.")


class PartStream:
    """A read-only file over the bytes of one part while they arrive."""

    closed = False

    def __init__(self, events) -> None:
        self._events = events
        self._pending = memoryview(b"")
        self.done = False

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end of the part."""
        size = storage.PIECE if size is None or size < 0 else size
        out: list[bytes] = []
        while size > 0:
            if not self._pending and not self._next():
                break
            piece = self._pending[:size]
            self._pending = self._pending[len(piece) :]
            out.append(bytes(piece))
            size -= len(piece)
        return b"".join(out)

    def _next(self) -> bool:
        if self.done:
            return False
        try:
            event = next(self._events, _END)
        except MultipartError as exc:
            raise broken(exc) from None
        if event is _END:
            raise Invalid("The request ended inside a part; send it again.")
        if event is None:  # the part ended
            self.done = True
            return False
        self._pending = memoryview(event)
        return True


@dataclass
class Part:
    name: str
    filename: str | None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    stream: PartStream | None = None

    def drain(self) -> None:
        while self.stream.read(storage.PIECE):
            pass


def parts(request: HttpRequest, *, max_bytes: int, max_parts: int) -> Iterator[Part]:
    """The request's parts in order; raises Invalid when the request is not multipart, is
    larger than `max_bytes`, holds more than `max_parts` parts or is cut short."""
    content_type, options = parse_options_header(request.META.get("CONTENT_TYPE", ""))
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise Invalid("Send the files as multipart/form-data.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length > max_bytes:
        raise Invalid(f"One request takes at most {max_bytes:,} bytes; send fewer files at once.")
    parser = PushMultipartParser(
        options["boundary"], content_length=length, max_segment_count=max_parts
    )
    events = parser.parse_blocking(request.read, chunk_size=storage.PIECE)
    try:
        for event in events:
            if isinstance(event, MultipartSegment):
                part = Part(
                    name=event.name,
                    filename=event.filename,
                    headers={k.lower(): v for k, v in event.headerlist},
                    stream=PartStream(events),
                )
                yield part
                part.drain()  # whatever the caller left unread
            elif event:
                raise Invalid("The request has bytes outside its parts.")
    except MultipartError as exc:
        raise broken(exc) from None
