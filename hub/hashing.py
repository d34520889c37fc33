"""Reading a request body while hashing it, in one pass.

`TappedReader` reads at most a declared number of bytes from a stream (a request, a multipart
part) and hands every piece it returns to its taps (sha256, Blob ID hashers) exactly once.
For large bodies the taps run on threads of their own, one per tap: hashlib releases the GIL
while it hashes, so the hashing proceeds on other cores beside the socket reads and file
writes of the request instead of after them. Pieces wait in short queues, so memory stays
bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from hub.storage import PIECE

Tap = Callable[[bytes], None]
BACKGROUND_FROM = 4 * PIECE  # smaller bodies are hashed in line: a thread would cost more
_DEPTH = 2  # pieces waiting for the hashing thread at most


class _Lane:
    """One hashing thread and its short queue of (tap, piece) or marks."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue(_DEPTH)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="hashing", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            tap, data = item
            if tap is None:  # a mark
                data.set()
            elif self.error is None:
                try:
                    tap(data)
                except BaseException as exc:  # handed to the request's thread
                    self.error = exc


class Mark:
    """Set once every lane has passed it."""

    def __init__(self, events: list[threading.Event]) -> None:
        self._events = events

    def wait(self) -> None:
        for event in self._events:
            event.wait()


class HashingThread:
    """Runs taps over pieces on threads of their own (a lane per tap: the first tap of every
    feed on the first, the second on the second; each tap sees its pieces in the order they
    were fed); `mark()` gives an event set once everything fed before it has been through its
    taps, so several readers in turn (the chunks of one request) can share the threads and
    never wait for them until they need a result. `close()` ends them and raises what a tap
    raised. Two lanes: a request's sha256 and its Blob ID leaves hash side by side."""

    LANES = 2

    def __init__(self) -> None:
        self._lanes = [_Lane() for _ in range(self.LANES)]

    def feed(self, taps: Sequence[Tap], data: bytes) -> None:
        for index, tap in enumerate(taps):
            self._lanes[index % self.LANES].queue.put((tap, data))

    def mark(self) -> Mark:
        events = []
        for lane in self._lanes:
            event = threading.Event()
            lane.queue.put((None, event))
            events.append(event)
        return Mark(events)

    def check(self) -> None:
        for lane in self._lanes:
            if lane.error is not None:
                raise lane.error

    def close(self) -> None:
        for lane in self._lanes:
            lane.queue.put(None)
        for lane in self._lanes:
            lane.thread.join()
        self.check()


class TappedReader:
    """A file-like reader of at most `limit` bytes of `stream` that feeds `taps`."""

    closed = False

    def __init__(
        self,
        stream,
        limit: int,
        taps: Sequence[Tap],
        thread: HashingThread | None = None,
        *,
        background: bool = True,
    ) -> None:
        """With `thread`, the taps run there (the caller marks and waits); else on a thread
        of the reader's own for a large body (`finish()` waits for it) unless `background`
        is False (a body known to be small), or in line."""
        self._stream = stream
        self._left = limit
        self.count = 0
        self._own = None
        if thread is None and background and limit >= BACKGROUND_FROM and taps:
            thread = self._own = HashingThread()
        self._inline = [lambda data: thread.feed(taps, data)] if thread else list(taps)

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
        own, self._own = self._own, None
        if own is not None:
            self._inline = []
            own.close()
