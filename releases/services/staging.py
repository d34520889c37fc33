"""Where the chunks of an upload wait for verification.

A chunk's body is first received into an object of its own (`incoming`), with no lock held,
so a slow client blocks nobody. Only then, under the upload's row lock, is it accepted: on
storage with local paths it is copied into one staging file at its offset, in the kernel
(that file is later renamed into place, no second copy of the whole file); elsewhere (S3) it
becomes the chunk's own object, streamed into the blob by the verification. The staged bytes
are therefore exactly the accepted chunks, whatever repeated or concurrent requests arrive.
Beside each accepted chunk lie the digests of its Blob ID leaves, computed as it arrived.

A direct upload (S3) stages nothing here: its chunks are the parts of an S3 multipart upload
(`hub.s3`), joined into the upload's data object when it is verified.
(Holding a chunk in memory instead of the incoming file measured slower: 8 MiB allocations
cost more page faults than the kernel's copy.)
"""

import fcntl
import io
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone
from storages.backends.s3 import S3Storage

from hub import s3, storage
from hub.blobid import CHUNK_SIZE, LeafDigests
from hub.errors import Conflict
from hub.hashing import HashingThread, TappedReader
from releases.models import Upload


class CountingReader(TappedReader):
    """Reads at most `limit` bytes of a chunk's body, counting them and computing the digests
    of their Blob ID leaves (a chunk starts on a leaf boundary), and feeding `tap` if given."""

    def __init__(self, stream, limit: int, tap=None, thread: HashingThread | None = None):
        self.leaves = LeafDigests()
        super().__init__(stream, limit, [self.leaves.update, *([tap] if tap else [])], thread)


def _folder(upload: Upload) -> str:
    return f"uploads/{upload.id}"


def data_key(upload: Upload) -> str:
    """The object holding all the upload's bytes: the staging file, or a direct upload's
    joined parts."""
    return f"{_folder(upload)}/data"


def _leaves_key(upload: Upload, index: int) -> str:
    return f"{_folder(upload)}/leaves-{index:06d}"


def _local(store, upload: Upload) -> str | None:
    """The local file the chunks are written into, or None on storage without local files."""
    return storage.local_path(store, data_key(upload))


IN_PLACE = "in place"  # what `receive` answers for a chunk written straight into the staging file


@contextmanager
def sole_writer(upload: Upload, *, wait: float | bool) -> Iterator[bool]:
    """The right to write into the upload's staging file, alone (an flock: local staging is
    one machine's disk, shared by its web processes); yields whether it was got. `wait`:
    False to try once, or seconds to wait, after which the upload is a Conflict (another
    request is sending its chunks; the client goes on from the upload's state). Storage
    without local files has no staging file: always False there."""
    local = _local(storage.storage(), upload)
    if local is None:
        yield False
        return
    os.makedirs(os.path.dirname(local), exist_ok=True)
    fd = os.open(os.path.join(os.path.dirname(local), "lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        deadline = time.monotonic() + (wait or 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    yield False
                    return
                if time.monotonic() > deadline:
                    upload.refresh_from_db()
                    raise Conflict(
                        "Another request is sending chunks of this upload; go on from its state.",
                        upload=upload,
                    ) from None
                time.sleep(0.05)
        yield True
    finally:
        os.close(fd)  # and with it the lock


def receive(
    upload: Upload, index: int, reader: CountingReader, *, in_place: bool = False
) -> str | None:
    """Store one request's body for chunk `index` in an object of its own; its key, or None
    (and nothing kept) when the body ended before the chunk's length.

    `in_place`: the caller is the staging file's sole writer (`sole_writer`) and `index` is
    the next chunk: the body goes straight to its offset in the staging file (IN_PLACE), with
    no copy to make when it is accepted."""
    store = storage.storage()
    if in_place:
        return _receive_in_place(upload, index, reader)
    key = f"{_folder(upload)}/incoming-{index:06d}-{uuid.uuid4().hex}"
    local = storage.local_path(store, key)
    try:
        if local is not None:  # straight to the file, a PIECE at a time (Storage.save: 64 KiB)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "wb") as fh:
                while data := reader.read(storage.PIECE):
                    fh.write(data)
        else:
            key = storage.save_stream(store, key, reader)
    finally:
        reader.finish()  # the digests are complete from here on
    if reader.count != upload.chunk_length(index):
        store.delete(key)
        return None
    return key


def _receive_in_place(upload: Upload, index: int, reader: CountingReader) -> str | None:
    local = _local(storage.storage(), upload)
    offset = index * upload.chunk_size
    with open(local, "ab"):
        pass  # exists from now on
    try:
        with open(local, "r+b") as fh:
            position = offset
            while data := reader.read(storage.PIECE):
                view = memoryview(data)
                while view:  # pwrite may write less than asked (a full disk raises)
                    written = os.pwrite(fh.fileno(), view, position)
                    position += written
                    view = view[written:]
            if reader.count != upload.chunk_length(index):
                fh.truncate(offset)
                return None
    finally:
        reader.finish()  # the digests are complete from here on
    return IN_PLACE


def staged_size(upload: Upload) -> int | None:
    """Bytes in the staging file; None on storage without local files."""
    local = _local(storage.storage(), upload)
    if local is None:
        return None
    return os.path.getsize(local) if os.path.exists(local) else 0


def cut_to_accepted(upload: Upload) -> None:
    """Drop bytes written in place past the accepted chunks (a chunk that was refused or cut
    short). Only by the staging file's sole writer."""
    local = _local(storage.storage(), upload)
    accepted = Upload.objects.filter(pk=upload.pk).values_list("chunks_received", flat=True)
    if local is not None and os.path.exists(local):
        with open(local, "r+b") as fh:
            fh.truncate(min(os.path.getsize(local), (accepted.first() or 0) * upload.chunk_size))


def accept(upload: Upload, index: int, incoming: str, leaves: bytes) -> None:
    """Put a received chunk in its place, with the digests of its Blob ID leaves beside it
    (the verification then computes the Blob ID without reading the bytes for it). The caller
    holds the upload's row lock and has checked that `index` is the next chunk."""
    store = storage.storage()
    key = _leaves_key(upload, index)
    if store.exists(key):
        store.delete(key)
    storage.save_stream(store, key, io.BytesIO(leaves))
    local = _local(store, upload)
    if local is None:
        key = upload.chunk_key(index)
        if store.exists(key):
            store.delete(key)  # left by an attempt that failed before it was counted
        storage.move(store, incoming, key)
        return
    offset = index * upload.chunk_size
    length = upload.chunk_length(index)
    if incoming == IN_PLACE:  # already at its offset (the next chunk may follow it already)
        return
    os.makedirs(os.path.dirname(local), exist_ok=True)
    with open(local, "ab"):
        pass  # exists from now on, empty for chunk 0
    with open(local, "r+b") as fh, open(storage.local_path(store, incoming), "rb") as src:
        _copy_at(src, fh, offset, length)
        fh.truncate(offset + length)
    store.delete(incoming)


def _copy_at(src, dst, offset: int, length: int) -> None:
    """Copy `length` bytes of `src` into `dst` at `offset`: in the kernel where it can
    (copy_file_range, no trip through user space), else piece by piece."""
    done = 0
    try:
        while done < length:
            copied = os.copy_file_range(
                src.fileno(), dst.fileno(), length - done, done, offset + done
            )
            if copied == 0:
                break
            done += copied
    except (AttributeError, OSError):  # not Linux, or a file system that cannot
        pass
    if done < length:
        src.seek(done)
        dst.seek(offset + done)
        shutil.copyfileobj(src, dst, storage.PIECE)


def staged_leaves(upload: Upload, index: int) -> bytes:
    """The digests of the Blob ID leaves of chunk `index` as it was accepted."""
    store = storage.storage()
    try:
        with store.open(_leaves_key(upload, index), "rb") as fh:
            return fh.read()
    except FileNotFoundError:  # staged before the digests were kept: compute them
        pass
    local = _local(store, upload)
    digests = LeafDigests()
    if local is None:
        pieces = storage.iter_range(store, upload.chunk_key(index), 0, upload.chunk_length(index))
    else:
        start = index * upload.chunk_size
        pieces = storage.iter_range(store, data_key(upload), start, upload.chunk_length(index))
    for piece in pieces:
        digests.update(piece)
    return digests.digests()


def all_leaves(upload: Upload) -> list[bytes] | None:
    """The leaf digests of every chunk, in order; None when the chunks do not start on leaf
    boundaries or some were staged without them (the verification then hashes the bytes)."""
    if upload.chunk_size % CHUNK_SIZE:
        return None
    store = storage.storage()
    found = []
    for index in range(upload.chunk_count):
        try:
            with store.open(_leaves_key(upload, index), "rb") as fh:
                found.append(fh.read())
        except FileNotFoundError:
            return None
    return found


def drop(key: str) -> None:
    if key != IN_PLACE:
        storage.storage().delete(key)


def _join_parts(upload: Upload) -> bool:
    """Join a direct upload's parts into its data object (once); False when some are missing
    or not of their chunk's length."""
    store = storage.storage()
    if store.exists(data_key(upload)):
        return True
    try:
        found = list(s3.parts(store, data_key(upload), upload.multipart_id))
    except s3.Gone:  # aborted (cancelled), or joined and moved on by an earlier run
        return store.exists(data_key(upload))
    if [p["index"] for p in found] != list(range(upload.chunk_count)) or any(
        p["size"] != upload.chunk_length(p["index"]) for p in found
    ):
        return False
    s3.multipart_complete(store, data_key(upload), upload.multipart_id, [p["etag"] for p in found])
    return True


def is_staged(upload: Upload) -> bool:
    """Whether every accepted chunk is still in staging."""
    store = storage.storage()
    if upload.multipart_id:
        return _join_parts(upload)
    if _local(store, upload) is not None:
        return store.exists(data_key(upload))
    return all(store.exists(upload.chunk_key(i)) for i in range(upload.chunk_count))


def assemble(upload: Upload, tap: Callable[[bytes], None]) -> str:
    """Read every staged byte once, in order, through `tap` (the hashers); returns the key of
    one object holding them all, ready to be moved into place."""
    store = storage.storage()
    local = _local(store, upload)
    if local is not None or upload.multipart_id:  # one object already: read it once
        with store.open(data_key(upload), "rb") as fh:
            while data := fh.read(storage.PIECE):
                tap(data)
        return data_key(upload)
    keys = [upload.chunk_key(i) for i in range(upload.chunk_count)]
    assembled = f"{_folder(upload)}/assembled"
    if store.exists(assembled):
        store.delete(assembled)
    reader = storage.ChainedReader(store, keys, tap=tap)
    try:
        return storage.save_stream(store, assembled, reader)
    finally:
        reader.close()


def _clear(store, folder: str) -> None:
    try:
        _folders, names = store.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        store.delete(f"{folder}/{name}")
    local = storage.local_path(store, folder)
    if local and os.path.isdir(local) and not os.listdir(local):
        os.rmdir(local)


def staged_object(upload: Upload) -> str:
    """The key of one object holding all staged bytes, without reading them where the staging
    file is that object already (local storage); elsewhere the chunks are joined."""
    if _local(storage.storage(), upload) is not None or upload.multipart_id:
        return data_key(upload)
    return assemble(upload, tap=lambda data: None)


def discard(upload: Upload) -> None:
    """Delete everything staged for an upload: its chunks and any half-received bodies (and
    a direct upload's parts)."""
    store = storage.storage()
    if upload.multipart_id and isinstance(store, S3Storage):
        s3.multipart_abort(store, data_key(upload), upload.multipart_id)
    _clear(store, _folder(upload))


def remove_orphans(active_ids: set[str]) -> int:
    """Delete staged bytes of uploads that are no longer active (finished, failed, or their
    repository was deleted); returns how many uploads' folders were cleared."""
    store = storage.storage()
    try:
        folders, _files = store.listdir("uploads")
    except FileNotFoundError:
        return 0
    orphans = [folder for folder in folders if folder not in active_ids]
    for folder in orphans:
        _clear(store, f"uploads/{folder}")
    if isinstance(store, S3Storage):  # direct uploads' parts, which list as no object
        settled = timezone.now() - timedelta(hours=1)  # none that began as `active` was read
        for name, multipart_id, began in s3.multipart_open(store, "uploads/"):
            upload_id = name.split("/")[1] if name.count("/") >= 2 else ""
            if upload_id not in active_ids and began < settled:
                s3.multipart_abort(store, name, multipart_id)
        # huggingface_hub's direct uploads: their tickets are long expired by then.
        for name, multipart_id, began in s3.multipart_open(store, f"{INCOMING}/"):
            if began < timezone.now() - timedelta(days=1):
                s3.multipart_abort(store, name, multipart_id)
    return len(orphans)


INCOMING = "incoming"  # bodies of single-request uploads (the OpenGradient API) on their way


def remove_stale_incoming(older_than) -> int:
    """Delete single-request upload bodies left by a process that died mid-request."""
    store = storage.storage()
    try:
        _folders, names = store.listdir(INCOMING)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    stale = [n for n in names if store.get_modified_time(f"{INCOMING}/{n}") < cutoff]
    for name in stale:
        store.delete(f"{INCOMING}/{name}")
    return len(stale)
