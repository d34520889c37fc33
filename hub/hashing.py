"""Reading a request body while hashing it, in one pass.

`TappedReader` reads at most a declared number of bytes from a stream (a request, a multipart
part) and hands every piece it returns to its taps (sha256, Blob ID hashers) exactly once.
For large bodies the taps run on a thread of their own: hashlib releases the GIL while it
hashes, so the hashing proceeds on a second core beside the socket reads and file writes of
the request instead of after them. Pieces wait in a short queue, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from hub.storage import PIECE

Tap = Callable[[bytes], None]
BACKGROUND_FROM = 4 * PIECE  # smaller bodies are hashed in line: a thread would cost more
_DEPTH = 8  # pieces waiting for the hashing thread at most


class _Background:
    """Runs the taps on a thread, in order; `close()` waits until they have seen everything."""

    def __init__(self, taps: Sequence[Tap]) -> None:
        self._taps = taps
        self._queue: queue.Queue[bytes | None] = queue.Queue(_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hashing", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    for tap in self._taps:
                        tap(data)
                except BaseException as exc:  # handed to the request's thread in close()
                    self._error = exc

    def __call__(self, data: bytes) -> None:
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class TappedReader:
    """A file-like reader of at most `limit` bytes of `stream` that feeds `taps`."""

    closed = False

    def __init__(self, stream, limit: int, taps: Sequence[Tap]) -> None:
        self._stream = stream
        self._left = limit
        self.count = 0
        self._inline = list(taps)
        self._background = _Background(taps) if limit >= BACKGROUND_FROM and taps else None
        if self._background is not None:
            self._inline = [self._background]

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end: a socket may return less per call, and
        S3 uploads take a short read for the end of the file."""
        size = PIECE if size is None or size < 0 else size
        parts: list[bytes] = []
        wanted = min(size, self._left)
        while wanted > 0:
            data = self._stream.read(min(wanted, PIECE))
            if not data:
                break
            parts.append(data)
            for tap in self._inline:
                tap(data)
            wanted -= len(data)
            self._left -= len(data)
            self.count += len(data)
        return b"".join(parts)

    def finish(self) -> None:
        """Wait until the taps have seen every byte read (call it once reading is over, also
        when it failed, so the hashing thread ends); safe to call again."""
        background, self._background = self._background, None
        if background is not None:
            self._inline = []
            background.close()
