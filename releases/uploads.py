"""Writes of release files: the upload plan, chunked uploads, links, deletion, clean-up.

Flow: the browser hashes each file and asks `files_plan` what to do. New content goes through
`upload_start` → `upload_put_chunk` (in order, resumable) → `upload_verify` (a Celery task
that streams the chunks into content-addressed storage while computing sha256 and the Blob
ID, and only then adds the file to the release). Content the user can already read somewhere
on the hub is linked with `file_link`, without transfer.
"""

import hmac
import logging
import os
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from hub import storage
from releases.models import (
    ACTIVE_UPLOAD,
    Blob,
    DeletedPath,
    OnnxStatus,
    Release,
    ReleaseFile,
    Upload,
    UploadStatus,
    blob_storage_key,
)
from releases.paths import normalize_path
from repos.models import Repository
from repos.selectors import readable_q

log = logging.getLogger(__name__)
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class UploadRefused(Exception):
    """A request that changes nothing, with the message to show and the HTTP status to use."""

    def __init__(self, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.message = message
        self.status = status
        self.extra = extra


@dataclass
class PlannedFile:
    path: str
    size: int
    sha256: str
    action: str  # upload | present | link | conflict | invalid
    message: str = ""
    warning: str = ""
    source: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", {}, None)}


def _human_size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _clean_entry(entry: dict) -> tuple[str, int, str]:
    """(path, size, sha256) of one requested file, or ValidationError."""
    if not isinstance(entry, dict):
        raise ValidationError("Each file must be an object with path, size and sha256.")
    path = normalize_path(entry.get("path"))
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValidationError(f"“{path}”: the size must be a whole number of bytes.")
    if size > settings.HUB_MAX_FILE_SIZE:
        raise ValidationError(
            f"“{path}” is larger than the limit: files can be at most "
            f"{_human_size(settings.HUB_MAX_FILE_SIZE)}."
        )
    sha256 = str(entry.get("sha256", "")).lower()
    if not SHA256_RE.match(sha256):
        raise ValidationError(f"“{path}”: sha256 must be 64 hexadecimal characters.")
    return path, size, sha256


def _readable_copies(*, user: User, sha256s: set[str]) -> dict[str, ReleaseFile]:
    """For each digest, a file with that content in a repository `user` may read (the newest).

    One query for the whole list; content found only where the user cannot read it is simply
    absent from the answer, so it is never revealed.
    """
    if not sha256s:
        return {}
    found: dict[str, ReleaseFile] = {}
    rows = (
        ReleaseFile.objects.filter(readable_q(user, prefix="release__repository__"))
        .filter(blob__sha256__in=sha256s)
        .select_related("release__repository__owner", "blob")
        .order_by("blob__sha256", "-created_at")
    )
    if connection.vendor == "postgresql":
        rows = rows.distinct("blob__sha256")  # one row a digest, however common the content
    for rf in rows:
        found.setdefault(rf.blob.sha256, rf)
    return found


def _readable_copy(*, user: User, sha256: str) -> ReleaseFile | None:
    return _readable_copies(user=user, sha256s={sha256}).get(sha256)


def _source(rf: ReleaseFile) -> dict:
    repo = rf.release.repository
    return {
        "repository": repo.full_name,
        "version": rf.release.version,
        "path": rf.path,
        "url": rf.release.get_absolute_url(),
        "label": f"identical to {repo.full_name} {rf.release.version} {rf.path}",
    }


BLOCKED_MESSAGE = "The moderators removed this content from the hub; it cannot be added."


def _blocked(sha256s: set[str]) -> set[str]:
    return set(
        Blob.objects.filter(sha256__in=sha256s, blocked_at__isnull=False).values_list(
            "sha256", flat=True
        )
    )


def files_plan(*, release: Release, user: User, files: list) -> list[PlannedFile]:
    """What to do with each file the browser wants to put into `release`; changes nothing."""
    if not isinstance(files, list) or not files:
        raise UploadRefused("Send a list of files with path, size and sha256.")
    if len(files) > settings.HUB_MAX_FILES_PER_RELEASE:
        raise UploadRefused(
            f"A release holds at most {settings.HUB_MAX_FILES_PER_RELEASE:,} files."
        )
    existing = {rf.path: rf for rf in release.files.select_related("blob")}
    reserved = dict(release.deleted_paths.values_list("path", "sha256"))
    by_sha = {}
    for rf in existing.values():
        by_sha.setdefault(rf.blob.sha256, rf)
    wanted = {
        str(e.get("sha256", "")).lower()
        for e in files
        if isinstance(e, dict) and SHA256_RE.match(str(e.get("sha256", "")).lower())
    }
    elsewhere = _readable_copies(user=user, sha256s=wanted - set(by_sha))
    blocked = _blocked(wanted)
    plan: list[PlannedFile] = []
    seen: set[str] = set()
    new_paths = 0
    for entry in files:
        try:
            path, size, sha256 = _clean_entry(entry)
        except ValidationError as exc:
            raw = entry.get("path") if isinstance(entry, dict) else None
            shown = raw[:300] if isinstance(raw, str) else ""
            plan.append(PlannedFile(shown, 0, "", "invalid", exc.messages[0]))
            continue
        if path in seen:
            plan.append(PlannedFile(path, size, sha256, "invalid", "This path is listed twice."))
            continue
        seen.add(path)
        if sha256 in blocked:
            plan.append(PlannedFile(path, size, sha256, "invalid", BLOCKED_MESSAGE))
            continue
        current = existing.get(path)
        if current is not None:
            if current.blob.sha256 == sha256:
                plan.append(PlannedFile(path, size, sha256, "present", "Already in this release."))
            else:
                plan.append(
                    PlannedFile(
                        path,
                        size,
                        sha256,
                        "conflict",
                        f"{release.version} already has “{path}” with other content. Files in "
                        "a release never change: create a new release for the new version.",
                    )
                )
            continue
        if reserved.get(path, sha256) != sha256:
            plan.append(
                PlannedFile(path, size, sha256, "conflict", _deleted_conflict(release, path))
            )
            continue
        new_paths += 1
        twin = by_sha.get(sha256)
        if twin is not None:
            plan.append(
                PlannedFile(
                    path,
                    size,
                    sha256,
                    "link",
                    warning=f"Same content as “{twin.path}” in this release.",
                    source=_source(twin),
                )
            )
            continue
        copy = elsewhere.get(sha256)
        if copy is not None:
            plan.append(PlannedFile(path, size, sha256, "link", source=_source(copy)))
        else:
            plan.append(PlannedFile(path, size, sha256, "upload"))
    if len(existing) + new_paths > settings.HUB_MAX_FILES_PER_RELEASE:
        raise UploadRefused(
            f"{release.version} has {len(existing):,} files; adding {new_paths:,} would pass "
            f"the limit of {settings.HUB_MAX_FILES_PER_RELEASE:,} files a release."
        )
    return plan


def _reserved_for(release: Release, path: str) -> str | None:
    """The sha256 a deleted path of this release stays reserved for, if any."""
    return (
        DeletedPath.objects.filter(release=release, path=path)
        .values_list("sha256", flat=True)
        .first()
    )


def _deleted_conflict(release: Release, path: str) -> str:
    return (
        f"“{path}” was deleted from {release.version} and can only come back with the same "
        "content. Create a new release for the new version."
    )


def _check_room(release: Release) -> None:
    if release.files.count() >= settings.HUB_MAX_FILES_PER_RELEASE:
        raise UploadRefused(
            f"{release.version} already holds the maximum of "
            f"{settings.HUB_MAX_FILES_PER_RELEASE:,} files."
        )


def _add_file(*, release: Release, path: str, blob: Blob, user: User | None) -> ReleaseFile:
    """Put `blob` at `path`; identical content already there is a no-op, other content a refusal.

    Additions to one release take turns (row lock), so the file limit and the reserved paths of
    deleted files hold however many uploads finish at once.
    """
    with transaction.atomic():
        Release.objects.select_for_update(no_key=True).filter(pk=release.pk).first()
        # Hold the blob against garbage collection until this file row is committed.
        locked = Blob.objects.select_for_update(no_key=True).filter(pk=blob.pk).first()
        if locked is None:
            raise UploadRefused("This content was just removed from the hub; upload it again.", 409)
        if locked.is_blocked:
            raise UploadRefused(BLOCKED_MESSAGE, 403)
        current = release.files.select_related("blob").filter(path=path).first()
        if current is not None:
            if current.blob_id != blob.pk:
                raise UploadRefused(
                    f"{release.version} already has “{path}” with other content.", status=409
                )
            return current
        if _reserved_for(release, path) not in (None, blob.sha256):
            raise UploadRefused(_deleted_conflict(release, path), status=409)
        _check_room(release)
        rf = ReleaseFile.objects.create(release=release, path=path, blob=blob, uploaded_by=user)
        DeletedPath.objects.filter(release=release, path=path).delete()
    Repository.objects.filter(pk=release.repository_id).update(updated_at=rf.created_at)
    if rf.is_onnx and blob.onnx_status == OnnxStatus.UNCHECKED:
        from releases.tasks import blob_read_signature

        transaction.on_commit(lambda: blob_read_signature.delay(blob.pk))
    return rf


def file_link(*, release: Release, user: User, path: str, sha256: str) -> ReleaseFile:
    """Add content the user can already read elsewhere on the hub, without transfer."""
    try:
        path = normalize_path(path)
    except ValidationError as exc:
        raise UploadRefused(exc.messages[0]) from None
    copy = _readable_copy(user=user, sha256=str(sha256).lower())
    if copy is None:
        # Same answer whether the content is missing or only in places the user cannot read.
        raise UploadRefused("No file with this content is available to you; upload it.", 404)
    return _add_file(release=release, path=path, blob=copy.blob, user=user)


def upload_start(*, release: Release, user: User, path: str, size: int, sha256: str) -> Upload:
    """Begin an upload, or return the unfinished one for the same file so it can resume."""
    try:
        path, size, sha256 = _clean_entry({"path": path, "size": size, "sha256": sha256})
    except ValidationError as exc:
        raise UploadRefused(exc.messages[0]) from None
    current = release.files.select_related("blob").filter(path=path).first()
    if current is not None:
        if current.blob.sha256 == sha256:
            raise UploadRefused("Already in this release.", status=409, state="present")
        raise UploadRefused(
            f"{release.version} already has “{path}” with other content. Create a new release "
            "for the new version.",
            status=409,
            state="conflict",
        )
    if _reserved_for(release, path) not in (None, sha256):
        raise UploadRefused(_deleted_conflict(release, path), status=409, state="conflict")
    if _blocked({sha256}):
        raise UploadRefused(BLOCKED_MESSAGE, 403)
    _check_room(release)
    with transaction.atomic():
        active = (
            Upload.objects.select_for_update().filter(ACTIVE_UPLOAD, release=release, path=path)
        ).first()
        if active is not None:
            if active.user_id == user.pk and active.sha256 == sha256 and active.size == size:
                return active
            raise UploadRefused(
                f"Another upload of “{path}” with other content is in progress.", status=409
            )
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
            raise UploadRefused(f"Another upload of “{path}” is in progress.", 409) from None


def _check_chunk(upload: Upload | None, index: int, length: int) -> Upload:
    if upload is None:
        raise UploadRefused("No such upload.", 404)
    if upload.status != UploadStatus.RECEIVING:
        raise UploadRefused(
            f"This upload is {upload.get_status_display().lower()}; it takes no more chunks.",
            409,
            upload=upload,
        )
    if index >= upload.chunk_count:
        raise UploadRefused(
            f"Chunk {index} is past the declared size ({upload.chunk_count} chunks).",
            400,
            upload=upload,
        )
    if index != upload.chunks_received:
        word = "was already received" if index < upload.chunks_received else "is out of order"
        raise UploadRefused(
            f"Chunk {index} {word}; send chunk {upload.chunks_received} next.", 409, upload=upload
        )
    expected = upload.chunk_length(index)
    if length != expected:
        raise UploadRefused(
            f"Chunk {index} must be {expected:,} bytes, not {length:,}.", 400, upload=upload
        )
    return upload


def upload_put_chunk(*, upload_id, user: User, index: int, stream, length: int) -> Upload:
    """Store chunk `index` of an upload, read from `stream` (exactly `length` bytes).

    The bytes are written with no transaction open, so a slow client holds no lock; the chunk
    is counted afterwards under a row lock, after checking that nothing changed meanwhile.
    """
    from releases.tasks import upload_verify

    store = storage.storage()
    upload = _check_chunk(Upload.objects.filter(id=upload_id, user=user).first(), index, length)
    counter = _CountingReader(stream, length)
    if not _stage_chunk(store, upload, index, counter):
        raise UploadRefused(
            f"Chunk {index} ended after {counter.count:,} of {length:,} bytes; send it again.",
            400,
            upload=upload,
        )
    with transaction.atomic():
        locked = Upload.objects.select_for_update().filter(id=upload_id, user=user).first()
        upload = _check_chunk(locked, index, length)  # e.g. cancelled, or counted by a retry
        upload.chunks_received += 1
        if upload.chunks_received == upload.chunk_count:
            upload.status = UploadStatus.VERIFYING
            transaction.on_commit(lambda: upload_verify.delay(str(upload.id)))
        upload.save(update_fields=["chunks_received", "status", "updated_at"])
    return upload


class _CountingReader:
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


# Where chunks wait for verification. On storage with local paths they are appended to one
# file (written once, renamed into place: no second copy of the bytes); elsewhere (S3) each
# chunk is an object of its own, streamed into the blob by the verification.


def _staging_key(upload: Upload) -> str:
    return f"uploads/{upload.id}/data"


def _staging_path(store, upload: Upload) -> str | None:
    """The local file the chunks are written into, or None on storage without local files."""
    return storage.local_path(store, _staging_key(upload))


def _stage_chunk(store, upload: Upload, index: int, counter: "_CountingReader") -> bool:
    """Store chunk `index`; False (and nothing kept) if the body ended early."""
    expected = upload.chunk_length(index)
    local = _staging_path(store, upload)
    if local is not None:
        offset = index * upload.chunk_size
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "ab") as fh:
            fh.truncate(offset)  # drop what an interrupted attempt at this chunk left
            fh.seek(offset)
            while data := counter.read(storage.PIECE):
                fh.write(data)
            if counter.count != expected:
                fh.truncate(offset)
                return False
        return True
    key = upload.chunk_key(index)
    if store.exists(key):
        store.delete(key)  # left by an attempt that failed before it was counted
    storage.save_stream(store, key, counter)
    if counter.count != expected:
        store.delete(key)
        return False
    return True


def _delete_chunks(upload: Upload) -> None:
    store = storage.storage()
    local = _staging_path(store, upload)
    if local is not None:
        if os.path.exists(local):
            os.remove(local)
        return
    for index in range(upload.chunk_count):
        key = upload.chunk_key(index)
        if store.exists(key):
            store.delete(key)


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
    _delete_chunks(upload)


def _fail(upload: Upload, message: str) -> None:
    upload.status = UploadStatus.FAILED
    upload.error = message
    upload.save(update_fields=["status", "error", "updated_at"])
    _delete_chunks(upload)
    log.info("upload failed id=%s path=%s reason=%s", upload.id, upload.path, message)


def upload_verify(*, upload: Upload) -> None:
    """Stream the chunks into storage while hashing; add the file only if the digest matches.

    Safe to run twice: a finished upload is left alone, and blobs are keyed by content.
    """
    from hub.blobid import BlobIdHasher

    if upload.status != UploadStatus.VERIFYING:
        return
    store = storage.storage()
    hasher = BlobIdHasher()
    local = _staging_path(store, upload)
    if local is not None:
        staging = _staging_key(upload)
        with open(local, "rb") as fh:
            while data := fh.read(storage.PIECE):
                hasher.update(data)
    else:
        keys = [upload.chunk_key(i) for i in range(upload.chunk_count)]
        staging = f"uploads/{upload.id}/assembled"
        if store.exists(staging):
            store.delete(staging)
        reader = storage.ChainedReader(store, keys, tap=hasher.update)
        try:
            staging = storage.save_stream(store, staging, reader)
        finally:
            reader.close()
    sha256 = hasher.hexdigest_sha256()
    if not hmac.compare_digest(sha256, upload.sha256):
        store.delete(staging)
        _fail(upload, f"The received bytes have sha256 {sha256}, not the declared one; "
                      "nothing was added. Upload the file again.")  # fmt: skip
        return
    blob_id = hasher.blob_id()
    final_key = blob_storage_key(sha256)
    with transaction.atomic():
        try:
            with transaction.atomic():
                blob = Blob.objects.create(sha256=sha256, blob_id=blob_id, size=upload.size)
            created = True
        except IntegrityError:
            # The content is on the hub already (or another verification is adding it right
            # now; the insert above waited for it): keep one copy.
            blob = Blob.objects.get(sha256=sha256)
            created = False
        if created:
            if store.exists(final_key):
                store.delete(final_key)  # bytes left by a run that crashed before its commit
            storage.move(store, staging, final_key)
        else:
            store.delete(staging)
        # Cancelled while we hashed? Then the file is not added (the blob, if new, is
        # collected later like any unreferenced one).
        current = Upload.objects.select_for_update().get(pk=upload.pk)
        if current.status != UploadStatus.VERIFYING:
            return
        try:
            rf = _add_file(release=upload.release, path=upload.path, blob=blob, user=upload.user)
        except UploadRefused as exc:
            _fail(upload, exc.message)
            return
        upload.status = UploadStatus.DONE
        upload.release_file = rf
        upload.save(update_fields=["status", "release_file", "updated_at"])
    _delete_chunks(upload)
    log.info("upload done id=%s path=%s blob=%s", upload.id, upload.path, blob_id)


@transaction.atomic
def release_file_delete(*, release_file: ReleaseFile) -> None:
    """Remove a file from its release. The blob stays while anything references it, and the
    path stays reserved for the same content."""
    DeletedPath.objects.update_or_create(
        release_id=release_file.release_id,
        path=release_file.path,
        defaults={"sha256": release_file.blob.sha256},
    )
    release_file.delete()


def release_copy_files(*, release: Release, source: Release, user: User) -> int:
    """Put the files of `source` into `release` by reference (no transfer); returns how many.

    Under the release's lock, like `_add_file`: paths already there are skipped, and so are
    paths deleted from `release` that stay reserved for other content.
    """
    with transaction.atomic():
        Release.objects.select_for_update(no_key=True).filter(pk=release.pk).first()
        taken = set(release.files.values_list("path", flat=True))
        reserved = dict(release.deleted_paths.values_list("path", "sha256"))
        new = [
            ReleaseFile(release=release, path=rf.path, blob_id=rf.blob_id, uploaded_by=user)
            for rf in source.files.filter(blob__blocked_at__isnull=True).select_related("blob")
            if rf.path not in taken and reserved.get(rf.path, rf.blob.sha256) == rf.blob.sha256
        ]
        if len(taken) + len(new) > settings.HUB_MAX_FILES_PER_RELEASE:
            raise UploadRefused("Copying would pass the limit of files in a release.")
        ReleaseFile.objects.bulk_create(new, ignore_conflicts=True)
        release.deleted_paths.filter(path__in=[rf.path for rf in new]).delete()
    if new:
        Repository.objects.filter(pk=release.repository_id).update(updated_at=timezone.now())
    return len(new)


def blobs_collect_garbage() -> int:
    """Delete blobs that no release references, from storage and database; returns how many."""
    store = storage.storage()
    removed = 0
    for blob in Blob.objects.filter(~Q(release_files__isnull=False)).iterator():
        with transaction.atomic():
            locked = Blob.objects.select_for_update().filter(pk=blob.pk).first()
            if locked is None or locked.release_files.exists():
                continue
            locked.delete()
            # The bytes go once the row is gone for good, not before.
            transaction.on_commit(lambda key=blob.storage_key: store.delete(key))
            removed += 1
    return removed


def uploads_expire(*, days: int) -> int:
    """Fail uploads that received nothing for `days` days and delete their chunks."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(days=days)
    count = 0
    for upload in Upload.objects.filter(status=UploadStatus.RECEIVING, updated_at__lt=cutoff):
        _fail(upload, "Abandoned: no chunk arrived for a long time.")
        count += 1
    _remove_orphan_staging()
    return count


def _remove_orphan_staging() -> None:
    """Staged bytes whose upload is gone (its repository was deleted) or finished."""
    store = storage.storage()
    try:
        folders, _files = store.listdir("uploads")
    except FileNotFoundError:
        return
    active = {str(u) for u in Upload.objects.filter(ACTIVE_UPLOAD).values_list("id", flat=True)}
    for folder in folders:
        if folder in active:
            continue
        _sub, names = store.listdir(f"uploads/{folder}")
        for name in names:
            store.delete(f"uploads/{folder}/{name}")
        local = storage.local_path(store, f"uploads/{folder}")
        if local and os.path.isdir(local) and not os.listdir(local):
            os.rmdir(local)


def file_add_content(*, release: Release, path: str, data: bytes, user: User | None) -> ReleaseFile:
    """Add small content held in memory (demo data, scripts): stored and hashed like an upload."""
    import io

    from hub.blobid import BlobIdHasher

    path = normalize_path(path)
    hasher = BlobIdHasher()
    hasher.update(data)
    sha256 = hasher.hexdigest_sha256()
    store = storage.storage()
    with transaction.atomic():
        blob = Blob.objects.select_for_update().filter(sha256=sha256).first()
        if blob is None:
            key = blob_storage_key(sha256)
            if store.exists(key):
                store.delete(key)
            storage.save_stream(store, key, io.BytesIO(data))
            blob = Blob.objects.create(sha256=sha256, blob_id=hasher.blob_id(), size=len(data))
        return _add_file(release=release, path=path, blob=blob, user=user)
