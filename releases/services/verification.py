"""The verification of an upload whose chunks all arrived: its bytes must have the declared
sha256 (or Blob ID, for content a browser declared by it); only then does the content become
a blob (`files.blob_put`) and the file part of the release (`files.file_add`).

It runs in the request that brought the last chunk when nothing is left to hash (the whole
file came in one request, hashed as it arrived) or the file is small, and otherwise in the
`verify_upload` task. The Blob ID and the block index come from the leaf digests each chunk
brought (`staging.accept`), so the bytes are read once at most, for the sha256. Runs hold the
upload by a lease, and a run after a crash finishes what the earlier one did.
"""

import hashlib
import hmac
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hub import queue, storage
from hub.blobid import BlobIdHasher
from hub.errors import HubError
from releases.ipfs.blocks import BlockCollector
from releases.models import Upload, UploadStatus, blob_storage_key
from releases.services import staging
from releases.services.files import blob_put, file_add

log = logging.getLogger(__name__)


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


def _leaf_hasher(upload: Upload, blocks: BlockCollector | None) -> BlobIdHasher | None:
    """A hasher holding the Blob ID leaves the chunks brought (see `staging.accept`), ready
    for `blob_id()`; None when they were not kept (the bytes are then hashed for them)."""
    leaves = staging.all_leaves(upload)
    if leaves is None:
        return None
    hasher = BlobIdHasher(with_sha256=False, on_block=blocks)
    for index, digests in enumerate(leaves):
        hasher.add_leaves(digests, upload.chunk_length(index))
    return hasher


def _leaf_blocks(upload: Upload) -> BlockCollector | None:
    """The block index from the kept leaves, without reading the bytes; None without them
    (`blob_put` then builds it from the stored bytes)."""
    blocks = BlockCollector()
    hasher = _leaf_hasher(upload, blocks)
    if hasher is None:
        return None
    hasher.blob_id()  # closes the DAG, telling `blocks` of its nodes
    return blocks


def _mismatch(upload: Upload, sha256: str, blob_id: str | None) -> bool:
    """Whether the bytes (`sha256`, and `blob_id` when known) differ from the declaration;
    the upload is then failed."""
    if upload.sha256:
        if hmac.compare_digest(sha256, upload.sha256):
            return False
        seen = f"sha256 {sha256}"
    else:  # declared by its Blob ID
        if blob_id is None or hmac.compare_digest(blob_id, upload.blob_id):
            return False
        seen = f"the Blob ID {blob_id}"
    upload_fail(upload, f"The received bytes have {seen}, not the declared one; nothing was "
                        "added. Upload the file again.")  # fmt: skip
    return True


def _record_verified(upload: Upload, sha256: str, blob_id: str) -> None:
    upload.verified_at, upload.sha256, upload.blob_id = timezone.now(), sha256, blob_id
    Upload.objects.filter(pk=upload.pk).update(
        verified_at=upload.verified_at, sha256=sha256, blob_id=blob_id
    )


def verified_in_pass(upload: Upload, sha256: str) -> bool:
    """Record the verification of an upload whose every byte one request hashed as they
    arrived (`sha256`); False when it failed. Without kept leaves the bytes are left to the
    usual verification, which reads them."""
    hasher = _leaf_hasher(upload, None)
    whole = hasher is not None and staging.staged_size(upload) in (None, upload.size)
    blob_id = hasher.blob_id() if whole else None
    if _mismatch(upload, sha256, blob_id):
        return False
    if blob_id is not None:
        _record_verified(upload, sha256, blob_id)
    # Otherwise the usual verification reads the staged bytes and decides.
    return True


def _verify(upload: Upload, blocks: BlockCollector | None = None) -> str | None:
    """Hash the staged bytes (telling `blocks` of the DAG's blocks); on a match record (and
    commit) that they were verified and return the key holding them. None when it failed."""
    if not staging.is_staged(upload):
        upload_fail(upload, "The received bytes were lost before they could be checked; "
                            "upload the file again.")  # fmt: skip
        return None
    hasher = _leaf_hasher(upload, blocks)
    if hasher is None:  # one pass computes both
        hasher = BlobIdHasher(on_block=blocks)
        tap, file_sha256 = hasher.update, hasher.hexdigest_sha256
    else:  # the leaves came with the chunks: only the file's sha256 needs the bytes
        whole = hashlib.sha256()
        tap, file_sha256 = whole.update, whole.hexdigest
    assembled = staging.assemble(upload, tap=_LeaseKeeper(upload, tap))
    sha256, blob_id = file_sha256(), hasher.blob_id()
    if _mismatch(upload, sha256, blob_id):
        staging.drop(assembled)
        return None
    _record_verified(upload, sha256, blob_id)
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
    blocks = None  # the block index comes from the hashing pass when this run makes one
    if upload.verified_at is None:
        blocks = BlockCollector()
        source = _verify(upload, blocks)
        if source is None:
            return
    elif staging.is_staged(upload):  # verified as it arrived, or by a run that stopped
        source = staging.staged_object(upload)
        blocks = _leaf_blocks(upload)
    elif store.exists(blob_storage_key(upload.sha256)):
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


def hand_over(upload: Upload, passed: str | None) -> None:
    """Verify an upload whose bytes are all in: `passed` is their sha256 when one request
    hashed them all as they arrived."""
    if passed is not None and not verified_in_pass(upload, passed):
        return
    if upload.verified_at is not None or upload.size <= settings.HUB_UPLOAD_VERIFY_INLINE:
        # Nothing left to hash, or a small file: finished in this request, as a round trip
        # through the queue would cost more. A failure leaves it to a worker.
        try:
            upload_complete(upload=upload)
            return
        except Exception:
            log.exception("inline verification failed id=%s; queued", upload.id)
    upload.queued = queue.send(_verify_task(), str(upload.id))


def _verify_task():
    from releases.tasks import verify_upload

    return verify_upload
