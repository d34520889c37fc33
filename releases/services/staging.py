"""Where the chunks of an upload wait for verification.

On storage with local paths they go into one file at their offsets (written once, renamed
into place at the end: no second copy of the bytes); elsewhere (S3) each chunk is an object of
its own, streamed into the blob by the verification.
"""

import os
from collections.abc import Callable

from hub import storage
from releases.models import Upload


class CountingReader:
    """Reads at most `limit` bytes from a request stream, counting them."""

    closed = False

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._left = limit
        self.count = 0

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end: a socket may return less per call, and
        S3 uploads take a short read for the end of the file."""
        size = storage.PIECE if size is None or size < 0 else size
        parts: list[bytes] = []
        wanted = min(size, self._left)
        while wanted > 0:
            data = self._stream.read(wanted)
            if not data:
                break
            parts.append(data)
            wanted -= len(data)
            self._left -= len(data)
            self.count += len(data)
        return b"".join(parts)


def _key(upload: Upload) -> str:
    return f"uploads/{upload.id}/data"


def _local(store, upload: Upload) -> str | None:
    """The local file the chunks are written into, or None on storage without local files."""
    return storage.local_path(store, _key(upload))


def stage_chunk(upload: Upload, index: int, reader: CountingReader) -> bool:
    """Store chunk `index`; False (and nothing kept) if the body ended early."""
    store = storage.storage()
    expected = upload.chunk_length(index)
    local = _local(store, upload)
    if local is not None:
        offset = index * upload.chunk_size
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "ab") as fh:
            fh.truncate(offset)  # drop what an interrupted attempt at this chunk left
            fh.seek(offset)
            while data := reader.read(storage.PIECE):
                fh.write(data)
            if reader.count != expected:
                fh.truncate(offset)
                return False
        return True
    key = upload.chunk_key(index)
    if store.exists(key):
        store.delete(key)  # left by an attempt that failed before it was counted
    storage.save_stream(store, key, reader)
    if reader.count != expected:
        store.delete(key)
        return False
    return True


def assemble(upload: Upload, tap: Callable[[bytes], None]) -> str:
    """Read every staged byte once, in order, through `tap` (the hashers); returns the key of
    one object holding them all, ready to be moved into place."""
    store = storage.storage()
    local = _local(store, upload)
    if local is not None:
        with open(local, "rb") as fh:
            while data := fh.read(storage.PIECE):
                tap(data)
        return _key(upload)
    keys = [upload.chunk_key(i) for i in range(upload.chunk_count)]
    assembled = f"uploads/{upload.id}/assembled"
    if store.exists(assembled):
        store.delete(assembled)
    reader = storage.ChainedReader(store, keys, tap=tap)
    try:
        return storage.save_stream(store, assembled, reader)
    finally:
        reader.close()


def discard(upload: Upload) -> None:
    """Delete the staged chunks of an upload (those that exist)."""
    store = storage.storage()
    local = _local(store, upload)
    if local is not None:
        if os.path.exists(local):
            os.remove(local)
        return
    for index in range(upload.chunk_count):
        key = upload.chunk_key(index)
        if store.exists(key):
            store.delete(key)


def remove_orphans(active_ids: set[str]) -> None:
    """Delete staged bytes of uploads that are no longer active (finished, or their
    repository was deleted)."""
    store = storage.storage()
    try:
        folders, _files = store.listdir("uploads")
    except FileNotFoundError:
        return
    for folder in folders:
        if folder in active_ids:
            continue
        _sub, names = store.listdir(f"uploads/{folder}")
        for name in names:
            store.delete(f"uploads/{folder}/{name}")
        local = storage.local_path(store, f"uploads/{folder}")
        if local and os.path.isdir(local) and not os.listdir(local):
            os.rmdir(local)
