"""Chunked, resumable uploads: start, chunks, cancel, and the verification that adds the file.

Flow: the browser hashes each file and asks the plan (`releases.selectors.files_plan`) what
to do. New content goes through `upload_start` → `upload_put_chunk` (in order, resumable) →
`upload_complete` (run by the `verify_upload` task: streams the chunks into
content-addressed storage while computing sha256 and the Blob ID, and only then adds the
file to the release through `files.file_add`).
"""

import hmac
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from hub import storage
from hub.blobid import BlobIdHasher
from hub.errors import Conflict, HubError, Invalid, NotFound
from releases import rules
from releases.models import ACTIVE_UPLOAD, Release, Upload, UploadStatus
from releases.services import staging
from releases.services.files import blob_put, file_add

log = logging.getLogger(__name__)


def upload_start(*, release: Release, user: User, path, size, sha256) -> Upload:
    """Begin an upload, or return the unfinished one for the same file so it can resume.

    Raises Invalid for a malformed request, Conflict (`state` "present" or "conflict") and
    Blocked as the addition rule says, LimitReached when the release is full.
    """
    path, size, sha256 = rules.clean_entry({"path": path, "size": size, "sha256": sha256})
    state = rules.contents(release, paths={path}, sha256s={sha256})
    if rules.check_addition(state, path=path, sha256=sha256) == rules.Verdict.PRESENT:
        raise Conflict("Already in this release.", state="present")
    rules.check_room(state, 1)
    with transaction.atomic():
        active = (
            Upload.objects.select_for_update().filter(ACTIVE_UPLOAD, release=release, path=path)
        ).first()
        if active is not None:
            if active.user_id == user.pk and active.sha256 == sha256 and active.size == size:
                return active
            raise Conflict(f"Another upload of “{path}” with other content is in progress.")
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


def upload_get(*, upload_id, user: User) -> Upload:
    """One of the user's own uploads; NotFound for anyone else's."""
    upload = Upload.objects.filter(id=upload_id, user=user).first()
    if upload is None:
        raise NotFound("No such upload.")
    return upload


def _check_chunk(upload: Upload | None, index: int, length: int) -> Upload:
    if upload is None:
        raise NotFound("No such upload.")
    if upload.status != UploadStatus.RECEIVING:
        raise Conflict(
            f"This upload is {upload.get_status_display().lower()}; it takes no more chunks.",
            upload=upload,
        )
    if index >= upload.chunk_count:
        raise Invalid(
            f"Chunk {index} is past the declared size ({upload.chunk_count} chunks).",
            upload=upload,
        )
    if index != upload.chunks_received:
        word = "was already received" if index < upload.chunks_received else "is out of order"
        raise Conflict(
            f"Chunk {index} {word}; send chunk {upload.chunks_received} next.", upload=upload
        )
    expected = upload.chunk_length(index)
    if length != expected:
        raise Invalid(f"Chunk {index} must be {expected:,} bytes, not {length:,}.", upload=upload)
    return upload


def upload_put_chunk(*, upload_id, user: User, index: int, stream, length: int) -> Upload:
    """Store chunk `index` of an upload, read from `stream` (exactly `length` bytes).

    The bytes are written with no transaction open, so a slow client holds no lock; the chunk
    is counted afterwards under a row lock, after checking that nothing changed meanwhile.
    """
    from releases.tasks import verify_upload

    upload = _check_chunk(Upload.objects.filter(id=upload_id, user=user).first(), index, length)
    reader = staging.CountingReader(stream, length)
    if not staging.stage_chunk(upload, index, reader):
        raise Invalid(
            f"Chunk {index} ended after {reader.count:,} of {length:,} bytes; send it again.",
            upload=upload,
        )
    with transaction.atomic():
        locked = Upload.objects.select_for_update().filter(id=upload_id, user=user).first()
        upload = _check_chunk(locked, index, length)  # e.g. cancelled, or counted by a retry
        upload.chunks_received += 1
        if upload.chunks_received == upload.chunk_count:
            upload.status = UploadStatus.VERIFYING
            transaction.on_commit(lambda: verify_upload.delay(str(upload.id)))
        upload.save(update_fields=["chunks_received", "status", "updated_at"])
    return upload


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
    upload.status = UploadStatus.FAILED
    upload.error = message
    upload.save(update_fields=["status", "error", "updated_at"])
    staging.discard(upload)
    log.info("upload failed id=%s path=%s reason=%s", upload.id, upload.path, message)


def upload_complete(*, upload: Upload) -> None:
    """Stream the chunks into storage while hashing; add the file only if the digest matches.

    Safe to run twice: a finished upload is left alone, and blobs are keyed by content.
    """
    if upload.status != UploadStatus.VERIFYING:
        return
    store = storage.storage()
    hasher = BlobIdHasher()
    assembled = staging.assemble(upload, tap=hasher.update)
    sha256 = hasher.hexdigest_sha256()
    if not hmac.compare_digest(sha256, upload.sha256):
        store.delete(assembled)
        upload_fail(upload, f"The received bytes have sha256 {sha256}, not the declared one; "
                            "nothing was added. Upload the file again.")  # fmt: skip
        return
    blob_id = hasher.blob_id()
    with transaction.atomic():
        blob = blob_put(
            sha256=sha256,
            blob_id=blob_id,
            size=upload.size,
            put=lambda key: storage.move(store, assembled, key),
            drop=lambda: store.delete(assembled),
        )
        # Cancelled while we hashed? Then the file is not added (the blob, if new, is
        # collected later like any unreferenced one).
        current = Upload.objects.select_for_update().get(pk=upload.pk)
        if current.status != UploadStatus.VERIFYING:
            return
        try:
            rf = file_add(release=upload.release, path=upload.path, blob=blob, user=upload.user)
        except HubError as exc:
            upload_fail(upload, exc.message)
            return
        upload.status = UploadStatus.DONE
        upload.release_file = rf
        upload.save(update_fields=["status", "release_file", "updated_at"])
    staging.discard(upload)
    log.info("upload done id=%s path=%s blob=%s", upload.id, upload.path, blob_id)
