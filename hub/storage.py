"""Storage helpers on top of django-storages: streaming reads, writes and moves of blobs."""

import os
from collections.abc import Callable, Iterable, Iterator

from django.core.files.base import File
from django.core.files.storage import Storage, default_storage

PIECE = 1024 * 1024  # bytes read or written at a time: memory stays bounded by this


def storage() -> Storage:
    return default_storage


def with_local_path(store: Storage, key: str, reader: Callable[[str], object], suffix: str = ""):
    """Call `reader(path)` on the stored object: in place on local storage, else on a
    temporary copy (for libraries that only open paths)."""
    import shutil
    import tempfile

    path = local_path(store, key)
    if path is not None:
        return reader(path)
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp, store.open(key, "rb") as src:
        shutil.copyfileobj(src, tmp, PIECE)
        tmp.flush()
        return reader(tmp.name)


class ChainedReader:
    """A read-only file over several stored objects in order, calling `tap` on every piece.

    Lets `Storage.save` stream many chunk objects into one while the caller hashes the bytes.
    """

    def __init__(self, store: Storage, keys: Iterable[str], tap: Callable[[bytes], None]):
        self._store = store
        self._keys = iter(keys)
        self._tap = tap
        self._current = None
        self.closed = False

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes; fewer only at the end (S3 uploads take a short read as EOF)."""
        size = PIECE if size is None or size < 0 else size
        parts: list[bytes] = []
        wanted = size
        while wanted > 0:
            if self._current is None:
                key = next(self._keys, None)
                if key is None:
                    break
                self._current = self._store.open(key, "rb")
            data = self._current.read(wanted)
            if not data:
                self._current.close()
                self._current = None
                continue
            self._tap(data)
            parts.append(data)
            wanted -= len(data)
        return b"".join(parts)

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        self.closed = True


def save_stream(store: Storage, key: str, reader) -> str:
    """Save what `reader` yields under exactly `key`, replacing nothing; returns the key used."""
    return store.save(key, File(reader, name=os.path.basename(key)))


def local_path(store: Storage, key: str) -> str | None:
    """The file-system path of `key` where the storage has one (local folder), else None."""
    try:
        return store.path(key)
    except NotImplementedError:
        return None


def move(store: Storage, src: str, dst: str) -> None:
    """Move a stored object to `dst` (which must not exist): a rename where the storage has
    local paths, a copy on the storage's side on S3, else a streamed copy; then a delete."""
    from hub import s3

    try:
        src_path, dst_path = store.path(src), store.path(dst)
    except NotImplementedError:
        if not s3.copy(store, src, dst):
            with store.open(src, "rb") as fh:
                store.save(dst, File(fh, name=os.path.basename(dst)))
        store.delete(src)
        return
    os.makedirs(os.path.dirname(dst_path), exist_ok=True)
    os.replace(src_path, dst_path)


def read_head(store: Storage, key: str, length: int) -> bytes:
    """At most the first `length` bytes of a stored object: a bounded read, whatever the
    object's size (one ranged GET on S3)."""
    from hub import s3

    if length <= 0:
        return b""
    data = s3.read_range(store, key, 0, length)
    if data is not None:
        return data
    with store.open(key, "rb") as fh:
        return fh.read(length)


def iter_range(store: Storage, key: str, start: int, length: int) -> Iterator[bytes]:
    """Yield `length` bytes of a stored object from offset `start`, a piece at a time."""
    with store.open(key, "rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            data = fh.read(min(PIECE, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
