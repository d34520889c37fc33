"""Chunked, resumable uploads: start, chunks, cancel, and the verification that adds the file.

Flow: the browser hashes each file and asks the plan (`releases.selectors.files_plan`) what
to do. New content goes through `upload_start` → `upload_put_chunk` (in order, resumable) →
`upload_complete` (run by the `verify_upload` task: streams the chunks into
content-addressed storage while computing sha256 and the Blob ID, and only then adds the
file to the release through `files.file_add`).
"""

import hashlib
import hmac
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import User
from hub import queue, storage
from hub.blobid import BlobIdHasher
from hub.errors import Conflict, HubError, Invalid, NotFound, TooLarge
from hub.formats import human_size
from releases import rules
from releases.ipfs.blocks import BlockCollector
from releases.models import ACTIVE_UPLOAD, Release, Upload, UploadStatus, blob_storage_key
from releases.services import staging
from releases.services.files import blob_put, file_add

log = logging.getLogger(__name__)


def upload_start(*, release: Release, user: User, path, size, sha256) -> Upload:
    """Begin an upload, or return the unfinished one for the same file so it can resume.

    Raises Invalid for a malformed request, Conflict (`state` "present" or "conflict") as the
    addition rule says, LimitReached when the release is full and TooLarge when the user's
    unfinished uploads would take more than their quota of staging space. Content the
    moderators blocked is not refused here: that would tell anyone who asks that the content
    exists somewhere; it is refused after transfer, like any content the hub does not take.
    """
    path, size, sha256 = rules.clean_entry({"path": path, "size": size, "sha256": sha256})
    state = rules.contents(release, paths={path})
    if rules.check_addition(state, path=path, sha256=sha256) == rules.Verdict.PRESENT:
        raise Conflict("Already in this release.", state="present")
    rules.check_room(state, 1)
    with transaction.atomic():
        # The user's row lock makes their concurrent starts count the quota in turn.
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = (
            Upload.objects.select_for_update().filter(ACTIVE_UPLOAD, release=release, path=path)
        ).first()
        if active is not None:
            if active.user_id == user.pk and active.sha256 == sha256 and active.size == size:
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
                    chunk_size=settings.HUB_UPLOAD_CHUNK_SIZE,
                )
        except IntegrityError:
            # Two identical starts at the same moment: the other one won; resume it.
            active = Upload.objects.filter(ACTIVE_UPLOAD, release=release, path=path).first()
            if active and active.user_id == user.pk and active.sha256 == sha256:
                return active
            raise Conflict(f"Another upload of “{path}” is in progress.") from None


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
        raise Invalid(f"Chunk {index} must be {expected:,} bytes, not {length:,}.", upload=upload)
    return upload


def upload_put_chunk(*, upload_id, user: User, index: int, stream, length: int) -> Upload:
    """Store chunk `index` of an upload, read from `stream` (exactly `length` bytes).

    The body is received with no transaction open, so a slow client holds no lock; it is
    accepted afterwards under the upload's row lock, if `index` is still the next chunk. A
    chunk sent again (a retry, a second tab) changes nothing: while the upload receives, the
    same bytes are answered like the first time and other bytes are refused; once the last
    chunk handed the file to the verification, every chunk is refused with the upload's state.
    The last chunk queues the verification; if the broker cannot be reached, the periodic
    check queues it later.
    """
    upload = _check_chunk(Upload.objects.filter(id=upload_id, user=user).first(), index, length)
    reader = staging.CountingReader(stream, length)
    incoming = staging.receive(upload, index, reader)
    if incoming is None:
        raise Invalid(
            f"Chunk {index} ended after {reader.count:,} of {length:,} bytes; send it again.",
            upload=upload,
        )
    try:
        with transaction.atomic():
            locked = Upload.objects.select_for_update().filter(id=upload_id, user=user).first()
            upload = _check_chunk(locked, index, length)  # e.g. cancelled meanwhile
            leaves = reader.leaves.digests()
            if index < upload.chunks_received:
                if staging.staged_leaves(upload, index) != leaves:
                    raise Conflict(
                        f"Chunk {index} was already received with other bytes; send chunk "
                        f"{upload.chunks_received} next.",
                        upload=upload,
                    )
                return upload  # the same bytes again: nothing to do
            staging.accept(upload, index, incoming, leaves)
            upload.chunks_received += 1
            if upload.chunks_received == upload.chunk_count:
                upload.status = UploadStatus.VERIFYING
            upload.save(update_fields=["chunks_received", "status", "updated_at"])
    finally:
        staging.drop(incoming)  # a no-op once accepted
    if upload.status == UploadStatus.VERIFYING:

        def finish() -> None:
            if upload.size <= settings.HUB_UPLOAD_VERIFY_INLINE:
                # A small file is checked in this request: a round trip through the queue
                # would cost more than the hashing. A failure here leaves it to a worker.
                try:
                    upload_complete(upload=upload)
                    return
                except Exception:
                    log.exception("inline verification failed id=%s; queued", upload.id)
            upload.queued = queue.send(_verify_task(), str(upload.id))

        transaction.on_commit(finish)  # at once, unless the caller holds a transaction
    return upload


def _verify_task():
    from releases.tasks import verify_upload

    return verify_upload


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


def upload_fail(upload: Upload, message: str) -> None:
    """Mark the upload failed (committed first), then free its staging space."""
    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.FAILED, error=message, lease_until=None, updated_at=timezone.now()
    )
    upload.status, upload.error = UploadStatus.FAILED, message
    staging.discard(upload)
    log.info("upload failed id=%s path=%s reason=%s", upload.id, upload.path, message)


def _take_lease(upload: Upload) -> bool:
    """Hold the upload for this verification run; False when another run holds it."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.HUB_UPLOAD_VERIFY_LEASE)
    taken = Upload.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk=upload.pk,
        status=UploadStatus.VERIFYING,
    ).update(lease_until=until, updated_at=now)
    return taken == 1


class _LeaseKeeper:
    """A hasher's tap that renews the lease every few seconds while the bytes stream by."""

    EVERY = 15.0

    def __init__(self, upload: Upload, tap):
        self._upload, self._tap, self._last = upload, tap, time.monotonic()

    def __call__(self, data: bytes) -> None:
        self._tap(data)
        if time.monotonic() - self._last > self.EVERY:
            self._last = time.monotonic()
            until = timezone.now() + timedelta(seconds=settings.HUB_UPLOAD_VERIFY_LEASE)
            Upload.objects.filter(pk=self._upload.pk).update(lease_until=until)


def _verify(upload: Upload, blocks: BlockCollector | None = None) -> str | None:
    """Hash the staged bytes (telling `blocks` of the DAG's blocks); on a match record (and
    commit) that they were verified and return the key holding them. None when it failed."""
    if not staging.is_staged(upload):
        upload_fail(upload, "The received bytes were lost before they could be checked; "
                            "upload the file again.")  # fmt: skip
        return None
    leaves = staging.all_leaves(upload)
    if leaves is None:  # one pass computes both
        hasher = BlobIdHasher(on_block=blocks)
        tap, file_sha256 = hasher.update, hasher.hexdigest_sha256
    else:  # the leaves came with the chunks: only the file's sha256 needs the bytes
        hasher = BlobIdHasher(with_sha256=False, on_block=blocks)
        for index, digests in enumerate(leaves):
            hasher.add_leaves(digests, upload.chunk_length(index))
        whole = hashlib.sha256()
        tap, file_sha256 = whole.update, whole.hexdigest
    assembled = staging.assemble(upload, tap=_LeaseKeeper(upload, tap))
    sha256 = file_sha256()
    if not hmac.compare_digest(sha256, upload.sha256):
        upload_fail(upload, f"The received bytes have sha256 {sha256}, not the declared one; "
                            "nothing was added. Upload the file again.")  # fmt: skip
        staging.drop(assembled)
        return None
    upload.verified_at, upload.blob_id = timezone.now(), hasher.blob_id()
    Upload.objects.filter(pk=upload.pk).update(
        verified_at=upload.verified_at, blob_id=upload.blob_id
    )
    return assembled


def upload_complete(*, upload: Upload) -> None:
    """Stream the staged chunks into storage while hashing; add the file only if the digest
    matches the declared one.

    Safe to run any number of times, and at once: a run holds the upload by a lease; a run
    after a crash finds what the earlier one did (bytes verified, moved into place, blob
    created) and finishes from there.
    """
    if upload.status != UploadStatus.VERIFYING or not _take_lease(upload):
        return
    store = storage.storage()
    final_key = blob_storage_key(upload.sha256)
    blocks = None  # the block index comes from the hashing pass when this run makes one
    if upload.verified_at is None:
        blocks = BlockCollector()
        source = _verify(upload, blocks)
        if source is None:
            return
    elif staging.is_staged(upload):  # verified by a run that stopped before moving them
        source = staging.staged_object(upload)
    elif store.exists(final_key):
        source = None  # moved into place by the run that crashed
    else:
        upload_fail(upload, "The received bytes were lost; upload the file again.")
        return
    with transaction.atomic():
        blob = blob_put(
            sha256=upload.sha256,
            blob_id=upload.blob_id,
            size=upload.size,
            put=(lambda key: storage.move(store, source, key)) if source else None,
            drop=lambda: source and staging.drop(source),
            blocks=blocks,
        )
        # Cancelled while we hashed? Then the file is not added (the blob, if new, is
        # collected later like any unreferenced one).
        current = Upload.objects.select_for_update().get(pk=upload.pk)
        if current.status != UploadStatus.VERIFYING:
            return
        try:
            rf = file_add(release=upload.release, path=upload.path, blob=blob, user=upload.user)
        except HubError as exc:  # Blocked among them, in words that reveal nothing
            upload_fail(upload, exc.message)
            return
        Upload.objects.filter(pk=upload.pk).update(
            status=UploadStatus.DONE, release_file=rf, lease_until=None, updated_at=timezone.now()
        )
        upload.status, upload.release_file = UploadStatus.DONE, rf
    staging.discard(upload)
    log.info("upload done id=%s path=%s blob=%s", upload.id, upload.path, upload.blob_id)


def uploads_stuck(limit: int = 500) -> list[str]:
    """Uploads waiting for a verification nobody is running: never queued (the broker was
    away), or their worker died. Their lease ran out and they have not moved for a while."""
    now = timezone.now()
    quiet = now - timedelta(seconds=settings.HUB_UPLOAD_STUCK_AFTER)
    rows = (
        Upload.objects.filter(status=UploadStatus.VERIFYING, updated_at__lt=quiet)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("updated_at")
        .values_list("id", flat=True)[:limit]
    )
    return [str(pk) for pk in rows]
