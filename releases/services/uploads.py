"""Chunked, resumable uploads: start, chunks (one or a run of them a request), cancel.

Flow: the browser or the CLI hashes each file and asks the plan
(`releases.selectors.files_plan`) what to do. New content goes through `upload_start` →
`upload_put_chunk` (in order, resumable; each chunk brings the digests of its Blob ID leaves)
→ `verification.upload_complete`, which checks the sha256 and only then adds the file to the
release through `files.file_add`. (Small files may instead come whole in one request:
`receive.file_receive`.)

A client may also send a file while it hashes it, when the plan said no copy can exist: the
upload starts without a sha256 and `upload_declare` gives it once the bytes are sent. Such
an upload is never resumed (nobody can tell its bytes belong to the file); a new start at
its path replaces it.

On S3 storage a client may ask for a direct upload instead: its chunks go to S3 itself
(`releases.services.direct`).
"""

import contextlib
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts.models import User
from hub.errors import Conflict, Invalid, NotFound, TooLarge
from hub.formats import byte_count, human_size
from hub.hashing import BACKGROUND_FROM, HashingThread, Mark
from releases import rules, selectors
from releases.models import ACTIVE_UPLOAD, Release, Upload, UploadStatus
from releases.services import staging, verification
from releases.services.direct import go_direct

log = logging.getLogger(__name__)


def upload_start(
    *, release: Release, user: User, path, size, sha256, blob_id=None, direct=False
) -> Upload:
    """Begin an upload, or return the unfinished one for the same file so it can resume.

    The file is declared by its sha256, or by its Blob ID (then its sha256 is the one of the
    bytes, computed as they arrive), or by neither (see `upload_declare`). `direct`: the
    client can send the chunks to S3 itself; the upload is direct when the storage allows it
    and no chunk came through the hub yet.

    Raises Invalid for a malformed request, Conflict (`state` "present" or "conflict") as the
    addition rule says, LimitReached when the release is full and TooLarge when the user's
    unfinished uploads would take more than their quota of staging space. Content the
    moderators blocked is not refused here: that would tell anyone who asks that the content
    exists somewhere; it is refused after transfer, like any content the hub does not take.
    """
    entry = {"path": path, "size": size, "sha256": sha256, "blob_id": blob_id}
    path, size, sha256 = rules.clean_entry(entry, sha256_later=True)
    blob_id = rules.entry_blob_id(entry)
    state = rules.contents(release, paths={path})
    if blob_id:  # compared through its sha256 when some blob has it, else new content
        if path in state.reserved:  # as the plan says: by Blob ID it could tell too much
            raise Conflict(
                f"“{path}” was deleted from {release.version}: start its upload with the "
                "file's sha256."
            )
        known = selectors.sha256_of_blob_ids({blob_id}).get(blob_id, "")
        if rules.check_addition(state, path=path, sha256=known) == rules.Verdict.PRESENT:
            raise Conflict("Already in this release.", state="present")
    elif not sha256:
        if path in state.files or path in state.reserved:
            raise Conflict(
                f"“{path}” is taken in {release.version}: start its upload with the file's "
                "sha256, so the hub can tell whether it is the same content."
            )
    elif rules.check_addition(state, path=path, sha256=sha256) == rules.Verdict.PRESENT:
        raise Conflict("Already in this release.", state="present")
    rules.check_room(state, 1)
    upload = _start(release, user, path, size, sha256, blob_id)
    if direct and not upload.multipart_id and upload.chunks_received == 0:
        go_direct(upload)
    return upload


def _start(release: Release, user: User, path: str, size: int, sha256: str, blob_id: str):
    with transaction.atomic():
        # The user's row lock makes their concurrent starts count the quota in turn.
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = (
            Upload.objects.select_for_update().filter(ACTIVE_UPLOAD, release=release, path=path)
        ).first()
        if active is not None and active.user_id == user.pk and not active.declared:
            _replace(active)
        elif active is not None:
            if (
                active.user_id == user.pk
                and active.size == size
                and active.declared_as(sha256, blob_id)
            ):
                return active
            raise Conflict(f"Another upload of “{path}” with other content is in progress.")
        _check_quota(user, size)
        try:
            with transaction.atomic():
                return Upload.objects.create(
                    release=release,
                    user=user,
                    path=path,
                    size=size,
                    sha256=sha256,
                    blob_id=blob_id,
                    chunk_size=settings.HUB_UPLOAD_CHUNK_SIZE,
                )
        except IntegrityError:
            # Two identical starts at the same moment: the other one won; resume it.
            active = Upload.objects.filter(ACTIVE_UPLOAD, release=release, path=path).first()
            if active and active.user_id == user.pk and active.declared_as(sha256, blob_id):
                return active
            raise Conflict(f"Another upload of “{path}” is in progress.") from None


def _replace(upload: Upload) -> None:
    """End an upload whose sha256 was never declared, for a new one at its path."""
    upload.status, upload.error = UploadStatus.FAILED, "Replaced by a new upload of the file."
    upload.save(update_fields=["status", "error", "updated_at"])
    transaction.on_commit(lambda: staging.discard(upload))


def upload_declare(*, upload_id, user: User, sha256) -> Upload:
    """Declare the sha256 of an upload started without one; at once when its bytes are all
    in, the verification follows as if it had come with the last chunk (checked against the
    digest taken as the bytes arrived when one request brought them all). Declaring the same
    digest again changes nothing; another one is a Conflict."""
    digest = rules.clean_sha256(sha256 or "")
    if digest is None:
        raise Invalid("sha256 must be 64 hexadecimal characters.")
    with transaction.atomic():
        upload = Upload.objects.select_for_update().filter(id=upload_id, user=user).first()
        if upload is None:
            raise NotFound("No such upload.")
        if upload.declared:
            if upload.sha256 == digest:
                return upload
            raise Conflict("This upload's content was declared already, as another digest.")
        if upload.status != UploadStatus.RECEIVING:
            raise Conflict(f"This upload is {upload.get_status_display().lower()}.", upload=upload)
        upload.sha256 = digest
        if upload.chunks_received == upload.chunk_count:
            upload.status = UploadStatus.VERIFYING
        upload.save(update_fields=["sha256", "status", "updated_at"])
    if upload.status == UploadStatus.VERIFYING:
        verification.hand_over(upload, upload.received_sha256 or None)
    return upload


def staging_use(user: User) -> int:
    """Bytes the user's unfinished uploads may take in staging (their declared sizes)."""
    active = Upload.objects.filter(ACTIVE_UPLOAD, user=user)
    return active.aggregate(total=Sum("size"))["total"] or 0


def _check_quota(user: User, size: int) -> None:
    quota = settings.HUB_UPLOAD_QUOTA
    used = staging_use(user)
    if used + size > quota:
        raise TooLarge(
            f"Your unfinished uploads take {human_size(used)} of your {human_size(quota)} for "
            f"files on their way in; this file needs {human_size(size)} more. Finish or cancel "
            "other uploads first.",
            used=used,
            quota=quota,
        )


def upload_get(*, upload_id, user: User) -> Upload:
    """One of the user's own uploads; NotFound for anyone else's."""
    upload = Upload.objects.filter(id=upload_id, user=user).first()
    if upload is None:
        raise NotFound("No such upload.")
    return upload


def _check_chunk(upload: Upload | None, index: int, length: int) -> Upload:
    """The chunk is well-formed and the upload still takes chunks; raises otherwise."""
    if upload is None:
        raise NotFound("No such upload.")
    if upload.multipart_id:
        raise Conflict(
            "This is a direct upload: send its chunks to their part URLs, then say which "
            "arrived (POST …/parts).",
            upload=upload,
        )
    if upload.status != UploadStatus.RECEIVING:
        # Its bytes may already be on their way into the blob: nothing to compare with.
        raise Conflict(
            f"This upload is {upload.get_status_display().lower()}; it takes no more chunks.",
            upload=upload,
        )
    if index >= upload.chunk_count:
        raise Invalid(
            f"Chunk {index} is past the declared size ({upload.chunk_count} chunks).",
            upload=upload,
        )
    if index > upload.chunks_received:
        raise Conflict(
            f"Chunk {index} is out of order; send chunk {upload.chunks_received} next.",
            upload=upload,
        )
    expected = upload.chunk_length(index)
    if length != expected:
        raise Invalid(
            f"Chunk {index} must be {byte_count(expected)}, not {length:,}.", upload=upload
        )
    return upload


def _run(upload: Upload | None, index: int, length: int) -> range:
    """The chunks a body of `length` bytes sent for chunk `index` holds: that chunk, or a run
    of consecutive whole chunks from it (the file's last, shorter chunk may end the run)."""
    if upload is not None and 0 <= index < upload.chunk_count:
        most = max(upload.chunk_size, settings.HUB_UPLOAD_REQUEST_MAX)
        if length > most:
            raise Invalid(
                f"One request takes at most {human_size(most)}; send fewer chunks at once.",
                upload=upload,
            )
        total, end = 0, index
        while end < upload.chunk_count and total < length:
            total += upload.chunk_length(end)
            end += 1
        if total == length and end > index + 1:
            return range(index, end)
    _check_chunk(upload, index, length)  # one chunk, or the reason it is not
    return range(index, index + 1)


def upload_put_chunk(*, upload_id, user: User, index: int, stream, length: int) -> Upload:
    """Store chunk `index` of an upload, or a run of chunks from it, read from `stream`
    (exactly `length` bytes: one chunk, or consecutive whole chunks).

    Each chunk's body is received with no transaction open, so a slow client holds no lock;
    it is accepted afterwards under the upload's row lock, if it is still the next chunk, and
    stays accepted when a later chunk of the run fails. A chunk sent again (a retry, a second
    tab) changes nothing: while the upload receives, the same bytes are answered like the
    first time and other bytes are refused; once the last chunk handed the file to the
    verification, every chunk is refused with the upload's state.

    A body holding the whole file (from chunk 0 to the end) is hashed as it arrives: the
    file is verified and added in this request, without reading the bytes again. Otherwise
    the last chunk hands the file to the verification: in this request for a small file, else
    queued (if the broker cannot be reached, the periodic check queues it later).
    """
    upload = Upload.objects.filter(id=upload_id, user=user).first()
    run = _run(upload, index, length)
    _check_chunk(upload, run.start, upload.chunk_length(run.start))
    whole = hashlib.sha256() if run == range(upload.chunk_count) else None
    upload = _receive_run(upload, run, stream, whole, length)
    passed = whole.hexdigest() if whole is not None else None
    if upload.status == UploadStatus.VERIFYING:
        # At once, unless the caller holds a transaction.
        transaction.on_commit(lambda: verification.hand_over(upload, passed))
    elif passed is not None and upload.chunks_received == upload.chunk_count:
        # Every byte, before the sha256 was declared: kept to check the declaration against.
        # (A declaration that came meanwhile hands the upload over by reading the bytes.)
        Upload.objects.filter(
            pk=upload.pk, sha256="", blob_id="", status=UploadStatus.RECEIVING
        ).update(received_sha256=passed)
        upload.received_sha256 = passed
    return upload


WRITER_WAIT = 10.0  # seconds a chunk waits for the request writing the staging file


@dataclass
class _Received:
    index: int
    incoming: str
    reader: staging.CountingReader
    hashed: Mark | None  # set once the hashing threads have seen all its bytes


def _receive_run(upload: Upload, run: range, stream, whole, length: int) -> Upload:
    """Receive the chunks of `run` in turn, each accepted while the next one arrives: the
    hashing thread (for a large body) then never waits for the database, nor the request for
    the hashing, except at the end."""
    with staging.sole_writer(upload, wait=False) as sole:
        if sole:
            # Read again under the lock: chunks are accepted only under it, so from here on
            # no other request moves the upload on, and a chunk accepted since this request
            # looked is never written over.
            upload = Upload.objects.get(pk=upload.pk)
            _check_chunk(upload, run.start, upload.chunk_length(run.start))
        # The next chunks, with nobody else writing: straight into the staging file.
        in_place = sole and run.start == upload.chunks_received
        try:
            return _receive_chunks(upload, run, stream, whole, length, sole, in_place)
        finally:
            if in_place:
                staging.cut_to_accepted(upload)  # bytes of a chunk refused or cut short


def _receive_chunks(upload, run, stream, whole, length, sole: bool, in_place: bool) -> Upload:
    thread = HashingThread() if length >= BACKGROUND_FROM else None
    pending: _Received | None = None
    try:
        for index in run:
            size = upload.chunk_length(index)
            reader = staging.CountingReader(stream, size, whole.update if whole else None, thread)
            try:
                incoming = staging.receive(upload, index, reader, in_place=in_place)
            finally:
                if pending is not None:  # the chunk before, complete: accepted whatever follows
                    done, pending = pending, None
                    upload = _accept(upload, done, thread, sole)
            if incoming is None:
                raise Invalid(
                    f"Chunk {index} ended after {reader.count:,} of {byte_count(size)}; "
                    "send it again.",
                    upload=upload,
                )
            pending = _Received(index, incoming, reader, thread.mark() if thread else None)
        done, pending = pending, None
        return _accept(upload, done, thread, sole)
    finally:
        if pending is not None:
            staging.drop(pending.incoming)
        if thread is not None:
            thread.close()


def _accept(
    upload: Upload, received: _Received, thread: HashingThread | None, sole: bool
) -> Upload:
    """Accept a received chunk under the upload's row lock if it is still the next one (and,
    to write into the staging file, as its sole writer: `sole` when the caller is already)."""
    index, length = received.index, upload.chunk_length(received.index)
    try:
        if received.hashed is not None:
            received.hashed.wait()
            thread.check()
        leaves = received.reader.leaves.digests()
        with (
            contextlib.nullcontext() if sole else staging.sole_writer(upload, wait=WRITER_WAIT),
            transaction.atomic(),
        ):
            locked = Upload.objects.select_for_update().filter(pk=upload.pk).first()
            upload = _check_chunk(locked, index, length)  # e.g. cancelled meanwhile
            if index < upload.chunks_received:
                if staging.staged_leaves(upload, index) != leaves:
                    raise Conflict(
                        f"Chunk {index} was already received with other bytes; send chunk "
                        f"{upload.chunks_received} next.",
                        upload=upload,
                    )
                return upload  # the same bytes again: nothing to do
            staging.accept(upload, index, received.incoming, leaves)
            upload.chunks_received += 1
            if upload.chunks_received == upload.chunk_count and upload.declared:
                upload.status = UploadStatus.VERIFYING
            upload.save(update_fields=["chunks_received", "status", "updated_at"])
            return upload
    finally:
        staging.drop(received.incoming)  # a no-op once accepted


def upload_cancel(*, upload_id, user: User) -> None:
    """Stop an upload, also while it is being verified: the verification then adds nothing."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().filter(id=upload_id, user=user).first()
        if upload is None or upload.status not in (
            UploadStatus.RECEIVING,
            UploadStatus.VERIFYING,
        ):
            return
        upload.status = UploadStatus.FAILED
        upload.error = "Cancelled."
        upload.save(update_fields=["status", "error", "updated_at"])
    staging.discard(upload)
