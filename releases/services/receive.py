"""A raw request body of declared sha256 and length, received into the hub's one blob of it.

For front doors whose client sends a whole file as the body of one request and says in
advance what it is (huggingface_hub's LFS `PUT`, and any other door that does the same).
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
from releases import rules
from releases.ipfs.blocks import BlockCollector
from releases.models import Blob
from releases.services import files, staging
from releases.services.uploads import staging_use
from repos import access

log = logging.getLogger(__name__)

STAGING = staging.INCOMING  # swept by the hourly clean-up when a process dies mid-request


class HashingReader:
    """Reads at most `limit` bytes of a stream, feeding each piece to the hashers once."""

    closed = False

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._left = limit
        self.count = 0
        self.blocks = BlockCollector()  # the block index, from the same pass
        self.hasher = BlobIdHasher(on_block=self.blocks)

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end (S3 uploads take a short read as EOF)."""
        size = storage.PIECE if size is None or size < 0 else size
        parts: list[bytes] = []
        wanted = min(size, self._left)
        while wanted > 0:
            data = self._stream.read(min(wanted, storage.PIECE))
            if not data:
                break
            self.hasher.update(data)
            parts.append(data)
            wanted -= len(data)
            self._left -= len(data)
            self.count += len(data)
        return b"".join(parts)


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
    _check_quota(store, user, length)
    reader = HashingReader(stream, length)
    staged = f"{STAGING}/{_body_prefix(user)}{uuid.uuid4().hex}"
    try:
        staged = storage.save_stream(store, staged, reader)
        if reader.count != length:
            raise Invalid(
                f"The body ended after {reader.count:,} of {length:,} bytes; nothing was kept. "
                "Send it again."
            )
        received = reader.hasher.hexdigest_sha256()
        if not hmac.compare_digest(received, digest):
            raise Invalid(
                f"The received bytes have sha256 {received}, not the declared {digest}; "
                "nothing was kept. Send the file again."
            )
        blob = files.blob_put(
            sha256=digest,
            blob_id=reader.hasher.blob_id(),
            size=length,
            put=lambda key: storage.move(store, staged, key),
            drop=lambda: store.delete(staged),
            blocks=reader.blocks,
        )
    finally:
        if store.exists(staged):
            store.delete(staged)
    if not access.content_usable(blob):
        raise Blocked(rules.BLOCKED_MESSAGE)
    log.info("body received user=%s blob=%s size=%s", user.pk, blob.blob_id, length)
    return blob
