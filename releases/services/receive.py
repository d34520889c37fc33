"""A raw request body of declared sha256 and length, received into the hub's one blob of it.

For front doors whose client sends a whole file as the body of one request and says in
advance what it is: huggingface_hub's LFS `PUT`, and the API's `PUT …/files/<path>` (the
CLI sends small files so: one request each instead of an upload's start and chunk).
The body streams into one staging object a piece at a time while sha256 and the Blob ID are
computed in the same pass (memory stays bounded by a piece whatever the size); only when
every declared byte arrived and the digest is the declared one does it become a blob, through
`files.blob_put`, the one way a blob is born. Staged bytes never outlive the request.
"""

import hmac
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from hub import storage
from hub.blobid import BlobIdHasher
from hub.errors import Blocked, Conflict, HubError, Invalid, TooLarge
from hub.formats import byte_count, human_size
from hub.hashing import TappedReader
from releases import rules
from releases.ipfs.blocks import BlockCollector
from releases.models import Blob, Release, ReleaseFile
from releases.services import files, staging
from releases.services.uploads import staging_use
from repos import access

log = logging.getLogger(__name__)

STAGING = staging.INCOMING  # swept by the hourly clean-up when a process dies mid-request


def _body_prefix(user: User) -> str:
    return f"u{user.pk}-"


def _in_flight(store, user: User) -> int:
    """Bytes of the user's bodies being received right now (any process)."""
    try:
        _folders, names = store.listdir(STAGING)
    except FileNotFoundError:
        return 0
    total = 0
    for name in names:
        if name.startswith(_body_prefix(user)):
            try:
                total += store.size(f"{STAGING}/{name}")
            except OSError:
                continue  # finished meanwhile
    return total


def check_quota(store, user: User, length: int) -> None:
    """The same quota as chunked uploads: bytes on their way in, per user."""
    quota = settings.HUB_UPLOAD_QUOTA
    used = staging_use(user) + _in_flight(store, user)
    if used + length > quota:
        raise TooLarge(
            f"Your files on their way in take {human_size(used)} of your {human_size(quota)}; "
            f"this one needs {human_size(length)} more. Let other uploads finish first.",
            used=used,
            quota=quota,
        )


def _stage(store, user: User, stream, digest: str, *, length: int | None) -> files.Offered:
    """Stream the bytes into a staging object while hashing them; checked against `digest`
    and `length` (None: a file of a batch, at most a chunk). Nothing is kept when they do not
    match."""
    blocks = BlockCollector()  # the block index, from the same pass
    hasher = BlobIdHasher(on_block=blocks)
    most = settings.HUB_UPLOAD_CHUNK_SIZE
    limit = most + 1 if length is None else length
    reader = TappedReader(stream, limit, [hasher.update], background=length is not None)
    key = f"{STAGING}/{_body_prefix(user)}{uuid.uuid4().hex}"
    try:
        try:
            key = storage.save_stream(store, key, reader)
        finally:
            reader.finish()
        if length is None and reader.count > most:
            raise TooLarge(
                f"Files of more than {human_size(most)} go through an upload of chunks, not "
                "in a batch."
            )
        if length is not None and reader.count != length:
            raise Invalid(
                f"The body ended after {reader.count:,} of {byte_count(length)}; nothing was kept. "
                "Send it again."
            )
        received = hasher.hexdigest_sha256()
        if not hmac.compare_digest(received, digest):
            raise Invalid(
                f"The received bytes have sha256 {received}, not the declared {digest}; "
                "nothing was kept. Send the file again."
            )
    except BaseException:
        if store.exists(key):
            store.delete(key)
        raise
    return files.Offered(digest, hasher.blob_id(), reader.count, key, blocks)


def blob_receive(*, stream, length: int, sha256: str, user: User) -> Blob:
    """Receive exactly `length` bytes of `stream`, which must have sha256 `sha256`, into the
    hub's one blob of that content (new, or the existing one, the received copy then dropped).

    Raises Invalid for a malformed declaration, a body that ends early or bytes of another
    digest; TooLarge past the file size limit or the user's staging quota; Blocked (in the same
    words as everywhere, after the transfer: refusing before would tell that the content is on
    the hub) for content the moderators removed. Nothing is kept on any failure.
    """
    digest = rules.clean_sha256(sha256 or "")
    if digest is None:
        raise Invalid("The sha256 must be 64 hexadecimal characters.")
    if not isinstance(length, int) or length < 0:
        raise Invalid("Say how many bytes the file has (Content-Length).")
    if length > settings.HUB_MAX_FILE_SIZE:
        limit = human_size(settings.HUB_MAX_FILE_SIZE)
        raise TooLarge(f"The file is larger than the limit: files can be at most {limit}.")
    store = storage.storage()
    if length > settings.HUB_UPLOAD_CHUNK_SIZE:
        # A body no larger than a chunk takes no more room than a chunk request does.
        check_quota(store, user, length)
    offered = _stage(store, user, stream, digest, length=length)
    try:
        blob = files.blob_put(
            sha256=digest,
            blob_id=offered.blob_id,
            size=length,
            put=lambda key: storage.move(store, offered.key, key),
            drop=lambda: store.delete(offered.key),
            blocks=offered.blocks,
        )
    finally:
        if store.exists(offered.key):
            store.delete(offered.key)
    if not access.content_usable(blob):
        raise Blocked(rules.BLOCKED_MESSAGE)
    log.info("body received user=%s blob=%s size=%s", user.pk, blob.blob_id, length)
    return blob


def blob_from_stored(*, key: str, length: int, sha256: str, user: User) -> Blob:
    """The bytes of a stored object (a direct upload joined in storage) become the hub's blob
    of them: read once, hashed (sha256, Blob ID, block index), checked against `sha256` and
    `length`, then moved into place. The object is gone afterwards, kept or not."""
    store = storage.storage()
    blocks = BlockCollector()
    hasher = BlobIdHasher(on_block=blocks)
    count = 0
    try:
        with store.open(key, "rb") as fh:
            while data := fh.read(storage.PIECE):
                hasher.update(data)
                count += len(data)
        if count != length or not hmac.compare_digest(hasher.hexdigest_sha256(), sha256):
            raise Invalid(
                f"The received bytes ({count:,}, sha256 {hasher.hexdigest_sha256()}) are not "
                "the declared ones; nothing was kept. Send the file again."
            )
        blob = files.blob_put(
            sha256=sha256,
            blob_id=hasher.blob_id(),
            size=length,
            put=lambda final: storage.move(store, key, final),
            drop=lambda: store.delete(key),
            blocks=blocks,
        )
    finally:
        if store.exists(key):
            store.delete(key)
    if not access.content_usable(blob):
        raise Blocked(rules.BLOCKED_MESSAGE)
    log.info("stored body received user=%s blob=%s size=%s", user.pk, blob.blob_id, length)
    return blob


def file_receive(
    *, release: Release, user: User, path, stream, length: int, sha256
) -> tuple[ReleaseFile, bool]:
    """Add a file sent whole as one request's body (declared length and sha256) at `path`;
    the file and whether it is new (False: that very content was there already, and the
    body was not read).

    The addition rule is asked before any byte is read, so a conflict, a full release or a
    bad path costs no transfer, and again under the release's lock when the file is added.
    Blocked content is refused after the transfer, as everywhere.
    """
    path = rules.clean_path(path)
    digest = rules.clean_sha256(sha256 or "")
    if digest is None:
        raise Invalid("Say the file's sha256 (Content-Digest: sha-256=:…:).")
    state = rules.contents(release, paths={path})
    if rules.check_addition(state, path=path, sha256=digest) == rules.Verdict.PRESENT:
        return release.files.select_related("blob").get(path=path), False
    rules.check_room(state, 1)
    blob = blob_receive(stream=stream, length=length, sha256=digest, user=user)
    return files.file_add(release=release, path=path, blob=blob, user=user), True


STATUS = {Invalid: "invalid", TooLarge: "invalid", Conflict: "conflict", Blocked: "blocked"}


@dataclass
class Outcome:
    """What became of one file of a batch: `file` when it is in the release (added now or
    already there), else `status` and `detail` say why not."""

    path: str
    status: str  # added, present, invalid, conflict, blocked, refused
    file: ReleaseFile | None = None
    detail: str = ""


def files_receive_many(*, release: Release, user: User, parts: Iterable) -> list[Outcome]:
    """Add many files sent in one request: `parts` gives (path, declared sha256, stream)
    in turn, each stream read to its end before the next.

    Each file gets its own outcome; one refused file does not stop the others. The addition
    rule is asked before a file's bytes are read (the same content at the path is `present`
    and not stored, other content a `conflict`), then all accepted files are stored and
    added together, under one lock of the release (`files.blobs_put_many`,
    `files.files_add_many`); blocked content is refused after the transfer, as everywhere.
    """
    store = storage.storage()
    state = rules.contents(release)  # every path: a batch may touch any of them
    outcomes: list[Outcome] = []
    staged: list[tuple[int, files.Offered]] = []
    seen: set[str] = set()
    try:
        for raw_path, sha256, stream in parts:
            outcome = Outcome(path=str(raw_path or ""), status="")
            outcomes.append(outcome)
            try:
                outcome.path = rules.clean_path(raw_path)
                digest = rules.clean_sha256(sha256 or "")
                if digest is None:
                    raise Invalid("Say the file's sha256 (Content-Digest: sha-256=:…:).")
                if outcome.path in seen:
                    raise Invalid("This path comes twice in the request.")
                seen.add(outcome.path)
                verdict = rules.check_addition(state, path=outcome.path, sha256=digest)
                if verdict == rules.Verdict.PRESENT:
                    outcome.status = "present"
                    continue
                staged.append((len(outcomes) - 1, _stage(store, user, stream, digest, length=None)))
            except HubError as exc:
                outcome.status, outcome.detail = STATUS.get(type(exc), "refused"), exc.message
        blobs = files.blobs_put_many([offered for _i, offered in staged])
        entries = [(outcomes[i].path, blobs[offered.sha256]) for i, offered in staged]
        added = files.files_add_many(release=release, user=user, entries=entries)
    finally:
        for _i, offered in staged:
            if store.exists(offered.key):
                store.delete(offered.key)
    for (i, _offered), result in zip(staged, added, strict=True):
        if isinstance(result, HubError):
            outcomes[i].status = STATUS.get(type(result), "refused")
            outcomes[i].detail = result.message
        else:
            outcomes[i].status, outcomes[i].file = "added", result
    present = [o.path for o in outcomes if o.status == "present"]
    found = {rf.path: rf for rf in release.files.filter(path__in=present).select_related("blob")}
    for outcome in outcomes:
        if outcome.status == "present":
            outcome.file = found.get(outcome.path)
    log.info(
        "files received release=%s user=%s added=%s of=%s",
        release.pk, user.pk, sum(o.status == "added" for o in outcomes), len(outcomes),
    )  # fmt: skip
    return outcomes
