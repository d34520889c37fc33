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

from django.conf import settings

from accounts.models import User
from hub import storage
from hub.blobid import BlobIdHasher
from hub.errors import Blocked, Invalid, TooLarge
from hub.formats import human_size
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


def _check_quota(store, user: User, length: int) -> None:
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
        _check_quota(store, user, length)
    blocks = BlockCollector()  # the block index, from the same pass
    hasher = BlobIdHasher(on_block=blocks)
    reader = TappedReader(stream, length, [hasher.update])
    staged = f"{STAGING}/{_body_prefix(user)}{uuid.uuid4().hex}"
    try:
        try:
            staged = storage.save_stream(store, staged, reader)
        finally:
            reader.finish()
        if reader.count != length:
            raise Invalid(
                f"The body ended after {reader.count:,} of {length:,} bytes; nothing was kept. "
                "Send it again."
            )
        received = hasher.hexdigest_sha256()
        if not hmac.compare_digest(received, digest):
            raise Invalid(
                f"The received bytes have sha256 {received}, not the declared {digest}; "
                "nothing was kept. Send the file again."
            )
        blob = files.blob_put(
            sha256=digest,
            blob_id=hasher.blob_id(),
            size=length,
            put=lambda key: storage.move(store, staged, key),
            drop=lambda: store.delete(staged),
            blocks=blocks,
        )
    finally:
        if store.exists(staged):
            store.delete(staged)
    if not access.content_usable(blob):
        raise Blocked(rules.BLOCKED_MESSAGE)
    log.info("body received user=%s blob=%s size=%s", user.pk, blob.blob_id, length)
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
