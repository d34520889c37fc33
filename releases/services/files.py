"""Writes of the files in a release: adding content (stored once per hub), linking content
already on the hub, copying a release's files, deleting a file.

Every addition asks the one rule in `releases.rules` under the release's row lock, so the
file limit and the reserved paths hold however many additions land at once.
"""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from hub import queue, storage
from hub.blobid import BlobIdHasher
from hub.errors import Blocked, Conflict, HubError, NotFound
from releases import rules
from releases.ipfs.blocks import (
    BlockCollector,
    block_index_build,
    block_index_store,
    block_index_store_many,
)
from releases.models import Blob, DeletedPath, OnnxStatus, Release, ReleaseFile, blob_storage_key
from releases.selectors import readable_copies, sha256_of_blob_ids
from repos.models import Repository

log = logging.getLogger(__name__)


def _lock(release: Release) -> None:
    # NO KEY UPDATE: additions to one release take turns; reads and inserts elsewhere do not.
    Release.objects.select_for_update(no_key=True).filter(pk=release.pk).first()


def _touch(release: Release) -> None:
    Repository.objects.filter(pk=release.repository_id).update(updated_at=timezone.now())


def file_add(*, release: Release, path: str, blob: Blob, user: User | None) -> ReleaseFile:
    """Put `blob` at `path` (already canonical); the same content already there is a no-op.

    Raises Conflict or Blocked as the addition rule says, LimitReached when the release is
    full, and Conflict when the blob was collected meanwhile.
    """
    with transaction.atomic():
        _lock(release)
        # Hold the blob against garbage collection until this file row is committed.
        locked = Blob.objects.select_for_update(no_key=True).filter(pk=blob.pk).first()
        if locked is None:
            raise Conflict("This content was just removed from the hub; upload it again.")
        state = rules.contents(release, paths={path}, sha256s={blob.sha256})
        if rules.check_addition(state, path=path, sha256=blob.sha256) == rules.Verdict.PRESENT:
            return release.files.get(path=path)
        rules.check_room(state, 1)
        rf = ReleaseFile.objects.create(release=release, path=path, blob=blob, uploaded_by=user)
        DeletedPath.objects.filter(release=release, path=path).delete()
    _touch(release)
    if rf.is_onnx and blob.onnx_status == OnnxStatus.UNCHECKED:
        from releases.tasks import read_onnx_signature

        queue.send_on_commit(read_onnx_signature, blob.pk)
    return rf


def file_link(*, release: Release, user: User, path, sha256, blob_id=None) -> ReleaseFile:
    """Add content the user can already read elsewhere on the hub, without transfer; it is
    named by its sha256 or its Blob ID."""
    path = rules.clean_path(path)
    if sha256 is None and blob_id is not None:
        cid = rules.clean_blob_id(blob_id) or ""
        sha256 = sha256_of_blob_ids({cid}).get(cid) if cid else None
    digest = rules.clean_sha256(sha256 or "")
    copy = readable_copies(user=user, sha256s={digest}).get(digest) if digest else None
    if copy is None:
        # Same answer whether the content is missing or only in places the user cannot read.
        raise NotFound("No file with this content is available to you; upload it.")
    return file_add(release=release, path=path, blob=copy.blob, user=user)


def blob_put(
    *,
    sha256: str,
    blob_id: str,
    size: int,
    put: Callable[[str], None] | None,
    drop: Callable[[], None],
    blocks: BlockCollector | None = None,
) -> Blob:
    """The hub's one blob of this content. When it is new, `put(key)` stores the bytes under
    its content-addressed key in the same transaction as the row (`put=None`: they are there
    already, verified); when it exists, `drop()` throws the offered bytes away. Safe against
    a concurrent put of the same content.

    A new blob gets its block index (the IPFS gateway's) in the same transaction: from
    `blocks`, what the hasher reported while computing the Blob ID, or else by reading the
    stored bytes once more."""
    store = storage.storage()
    with transaction.atomic():
        try:
            with transaction.atomic():
                blob = Blob.objects.create(sha256=sha256, blob_id=blob_id, size=size)
        except IntegrityError:
            # On the hub already (or being added right now: the insert waited for it).
            drop()
            return Blob.objects.get(sha256=sha256)
        if put is not None:
            key = blob_storage_key(sha256)
            if store.exists(key):
                store.delete(key)  # bytes left by a run that crashed before its commit
            put(key)
        _index_blocks(blob, blocks)
        return blob


def _index_blocks(blob: Blob, blocks: BlockCollector | None) -> None:
    # The index only serves the IPFS gateway: failing to make it must not lose the content
    # (`manage.py index_blocks` fills any blob left without one).
    try:
        with transaction.atomic():
            if blocks is not None and blocks.root_cid() is not None:
                block_index_store(blob, blocks)
            else:
                block_index_build(blob)
    except (OSError, ValueError) as exc:
        log.warning("block index not made blob=%s error=%s", blob.blob_id, exc)


@dataclass
class Offered:
    """New content for `blobs_put_many`: bytes staged under `key`, already hashed."""

    sha256: str
    blob_id: str
    size: int
    key: str
    blocks: BlockCollector


def blobs_put_many(offered: list[Offered]) -> dict[str, Blob]:
    """`blob_put` for many contents at once (a batch of small files): the blobs by sha256.
    New ones are inserted together, their bytes moved into place and their block index
    written in one go; offered bytes of content the hub has are dropped. A concurrent
    insert of the same content makes it fall back to `blob_put` one by one."""
    store = storage.storage()
    unique = list({o.sha256: o for o in offered}.values())
    known = {b.sha256: b for b in Blob.objects.filter(sha256__in=[o.sha256 for o in unique])}
    new = [o for o in unique if o.sha256 not in known]
    try:
        with transaction.atomic():
            created = Blob.objects.bulk_create(
                [Blob(sha256=o.sha256, blob_id=o.blob_id, size=o.size) for o in new]
            )
            for o in new:
                key = blob_storage_key(o.sha256)
                if store.exists(key):
                    store.delete(key)  # bytes left by a run that crashed before its commit
                storage.move(store, o.key, key)
            try:
                with transaction.atomic():
                    block_index_store_many(list(zip(created, (o.blocks for o in new), strict=True)))
            except (OSError, ValueError) as exc:  # the index only serves the gateway
                log.warning("block index not made for a batch error=%s", exc)
        known.update((b.sha256, b) for b in created)
    except IntegrityError:
        for o in new:
            known[o.sha256] = blob_put(
                sha256=o.sha256,
                blob_id=o.blob_id,
                size=o.size,
                put=lambda key, o=o: storage.move(store, o.key, key),
                drop=lambda o=o: store.delete(o.key),
                blocks=o.blocks,
            )
    for o in offered:
        if store.exists(o.key):  # a duplicate in the batch, or content the hub had
            store.delete(o.key)
    return known


def files_add_many(
    *, release: Release, user: User | None, entries: list[tuple[str, Blob]]
) -> list[HubError | ReleaseFile]:
    """`file_add` for many files at once, under one lock of the release: for each entry
    (canonical path, blob) the file added or found there, or the refusal the rule gave (a
    conflict, blocked content, a full release)."""
    results: list[HubError | ReleaseFile] = []
    with transaction.atomic():
        _lock(release)
        # Hold the blobs against garbage collection until the file rows are committed.
        kept = set(
            Blob.objects.select_for_update(no_key=True)
            .filter(pk__in={b.pk for _p, b in entries})
            .values_list("pk", flat=True)
        )
        state = rules.contents(
            release, paths={p for p, _b in entries}, sha256s={b.sha256 for _p, b in entries}
        )
        adding: list[ReleaseFile] = []
        for path, blob in entries:
            try:
                if blob.pk not in kept:
                    raise Conflict("This content was just removed from the hub; upload it again.")
                verdict = rules.check_addition(state, path=path, sha256=blob.sha256)
                if verdict == rules.Verdict.NEW:
                    rules.check_room(state, 1)
                    rf = ReleaseFile(release=release, path=path, blob=blob, uploaded_by=user)
                    adding.append(rf)
                    state.files[path] = blob.sha256  # the next entries see it there
                    state.count += 1
                else:
                    rf = None
                results.append(rf)
            except HubError as exc:
                results.append(exc)
        ReleaseFile.objects.bulk_create(adding)
        release.deleted_paths.filter(path__in=[rf.path for rf in adding]).delete()
        paths = [p for p, _b in entries]
        found = {rf.path: rf for rf in release.files.filter(path__in=paths).select_related("blob")}
        results = [
            found[p] if r is None else r for r, (p, _b) in zip(results, entries, strict=True)
        ]
    if adding:
        _touch(release)
    for rf in adding:
        if rf.is_onnx and rf.blob.onnx_status == OnnxStatus.UNCHECKED:
            from releases.tasks import read_onnx_signature

            queue.send_on_commit(read_onnx_signature, rf.blob.pk)
    return results


def file_add_content(*, release: Release, path: str, data: bytes, user: User | None) -> ReleaseFile:
    """Add small content held in memory (demo data, scripts): stored and hashed like an upload."""
    path = rules.clean_path(path)
    collector = BlockCollector()
    hasher = BlobIdHasher(on_block=collector)
    hasher.update(data)
    store = storage.storage()
    with transaction.atomic():
        blob = blob_put(
            sha256=hasher.hexdigest_sha256(),
            blob_id=hasher.blob_id(),
            size=len(data),
            put=lambda key: storage.save_stream(store, key, io.BytesIO(data)),
            drop=lambda: None,
            blocks=collector,
        )
        return file_add(release=release, path=path, blob=blob, user=user)


def release_copy_files(*, release: Release, source: Release, user: User) -> int:
    """Put the files of `source` into `release` by reference (no transfer); returns how many.

    Paths the rule refuses (taken, reserved for other content, blocked) are skipped; the
    rest must fit in the release.
    """
    with transaction.atomic():
        _lock(release)
        offered = list(source.files.select_related("blob"))
        state = rules.contents(release, sha256s={rf.blob.sha256 for rf in offered})
        new = []
        for rf in offered:
            try:
                verdict = rules.check_addition(state, path=rf.path, sha256=rf.blob.sha256)
            except (Conflict, Blocked):
                continue
            if verdict == rules.Verdict.NEW:
                new.append(
                    ReleaseFile(release=release, path=rf.path, blob_id=rf.blob_id, uploaded_by=user)
                )
        rules.check_room(state, len(new))
        ReleaseFile.objects.bulk_create(new, ignore_conflicts=True)
        release.deleted_paths.filter(path__in=[rf.path for rf in new]).delete()
    if new:
        _touch(release)
    return len(new)


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
