"""huggingface_hub's LFS transfers: the batch answer, the upload URL's credential, the
receipt of the bytes, and their verification.

The client sends every file as an LFS object named by its sha256 (the preupload says so,
`commits.py`), in three steps:

1. `POST /<owner>/<name>.git/info/lfs/objects/batch` with the token: per object, no actions
   when the user may already use that content — a readable copy anywhere on the hub
   (`selectors.readable_copies`) or bytes they sent themselves (a receipt) — so it is never
   transferred; else a "basic" upload action. Content that exists only where the user cannot
   read it, or that the moderators blocked, is answered exactly like new content: the answer
   never tells what the hub holds.
2. `PUT` of the bytes to the action's URL, which the client sends without its token: the URL
   itself carries the credential, a *ticket* signed with the site's key that names the user,
   the sha256 and the size and expires after `TICKET_MAX_AGE`. The body is received by
   `releases.services.receive.blob_receive` (streamed, hashed, checked against the sha256);
   then a receipt records that this user sent this content.
3. `POST` to the verify action (the same ticket): the blob and the receipt are there.

On S3 storage with direct uploads on, step 2 bypasses the web servers: the batch opens an S3
multipart upload and answers the client's multipart transfer (`header.chunk_size` and a
presigned URL per part); the client PUTs the parts to S3 and `POST`s the completion to the
upload URL; the hub checks the parts at S3, joins them, and a worker reads the object back to
check its sha256 and make it the blob (`receive.blob_from_stored`); the verify action waits
for that.

A receipt is an empty object in the staging area, `incoming/received-u<user>-<sha256>`: it is
what lets the user's commit attach content nobody else's files let them read, without a
table of its own, and the hourly clean-up of stale bodies sweeps it after a day.
"""

import io
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.models import User
from hub import queue, s3, storage
from hub.errors import Invalid, NotFound, Refused, Unavailable
from hub.formats import byte_count
from releases import rules, selectors
from releases.models import Blob
from releases.services import receive

TICKET_SALT = "releases.api_hf.lfs.upload"
TICKET_MAX_AGE = 2 * 3600  # seconds; a rerun asks again and skips what was sent meanwhile
EXPIRED = "This upload link expired or is not valid; run the upload again."
NOT_RECEIVED = "These bytes did not reach the hub; run the upload again."
STILL_CHECKING = "The hub is still checking these bytes; ask again in a moment."
VERIFY_WAIT = 20.0  # seconds the verify action waits for a worker checking a direct upload
BATCH_SHAPE = 'Send {"operation": "upload", "objects": [{"oid": "<sha256>", "size": <bytes>}, …]}.'


@dataclass(frozen=True)
class Ticket:
    """What an upload URL allows: `user` sends `size` bytes of sha256 `oid` (for a direct
    upload, as the parts of S3 multipart upload `multipart` of the object `key`)."""

    user_id: int
    oid: str
    size: int
    multipart: str = ""
    key: str = ""

    def sign(self) -> str:
        payload = {"u": self.user_id, "o": self.oid, "s": self.size}
        if self.multipart:
            payload.update(m=self.multipart, k=self.key)
        return signing.dumps(payload, salt=TICKET_SALT, compress=False)


def ticket_read(value: str) -> Ticket:
    """The ticket of an upload URL; Refused when it is forged, altered or expired."""
    try:
        payload = signing.loads(value, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
        return Ticket(
            user_id=int(payload["u"]),
            oid=str(payload["o"]),
            size=int(payload["s"]),
            multipart=str(payload.get("m", "")),
            key=str(payload.get("k", "")),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Refused(EXPIRED) from None


def _receipt_key(user_id: int, sha256: str) -> str:
    return f"{receive.STAGING}/received-u{user_id}-{sha256}"


def _receipt_record(user_id: int, sha256: str) -> None:
    store = storage.storage()
    key = _receipt_key(user_id, sha256)
    if store.exists(key):
        store.delete(key)  # written anew, so it stays a day from now
    storage.save_stream(store, key, io.BytesIO(b""))


def received(*, user, sha256s: set[str]) -> set[str]:
    """The digests of `sha256s` this user sent (a receipt) whose blob is still on the hub and
    usable."""
    if not sha256s or not user.is_authenticated:
        return set()
    store = storage.storage()
    sent = {d for d in sha256s if store.exists(_receipt_key(user.pk, d))}
    usable = Blob.objects.filter(sha256__in=sent, blocked_at__isnull=True)
    return set(usable.values_list("sha256", flat=True))


def _objects(body) -> list[tuple[str, int]]:
    if not isinstance(body, dict) or body.get("operation") != "upload":
        raise Invalid(f"Only uploads go through this hub's LFS batch. {BATCH_SHAPE}")
    objects = body.get("objects")
    if not isinstance(objects, list) or not objects:
        raise Invalid(BATCH_SHAPE)
    cleaned = []
    for obj in objects:
        if not isinstance(obj, dict):
            raise Invalid(BATCH_SHAPE)
        _path, size, oid = rules.clean_entry(
            {"path": "object", "size": obj.get("size"), "sha256": obj.get("oid", "")}
        )
        cleaned.append((oid, size))
    return cleaned


def batch_answer(*, user, body, absolute) -> dict:
    """The answer to an LFS batch request of `user`, who may manage the repository: for each
    object no actions (the user may already use this content), or where to PUT it and where to
    confirm. `absolute(path)` makes a URL the client can reach."""
    objects = _objects(body)
    digests = {oid for oid, _size in objects}
    copies = selectors.readable_copies(user=user, sha256s=digests)
    present = set(copies) | received(user=user, sha256s=digests - set(copies))
    sizes = dict(Blob.objects.filter(sha256__in=present).values_list("sha256", "size"))
    answered = []
    for oid, size in objects:
        entry = {"oid": oid, "size": size, "authenticated": True}
        if sizes.get(oid) != size:  # new, or the size does not match: send the bytes
            ticket, header = _direct(user, oid, size)
            ticket = ticket.sign()
            entry["actions"] = {
                "upload": {
                    "href": absolute(reverse("hf_lfs_object", args=[ticket])),
                    "expires_in": TICKET_MAX_AGE,
                    **({"header": header} if header else {}),
                },
                "verify": {
                    "href": absolute(reverse("hf_lfs_verify", args=[ticket])),
                    "expires_in": TICKET_MAX_AGE,
                },
            }
        answered.append(entry)
    return {"transfer": "basic", "objects": answered, "hash_algo": "sha256"}


def _direct(user, oid: str, size: int) -> tuple[Ticket, dict]:
    """The ticket of an object's upload and, for a direct one (S3), the client's multipart
    header: the part size and a presigned URL per part ("00001", …)."""
    store = s3.direct_store()
    chunk = settings.HUB_UPLOAD_CHUNK_SIZE
    count = -(-size // chunk)
    if store is None or not 0 < count <= s3.PARTS_MAX:  # the client makes no part of nothing
        return Ticket(user_id=user.pk, oid=oid, size=size), {}
    receive.check_quota(store, user, size + _open_direct(store, user))
    key = f"{_direct_prefix(user)}{size}-{uuid.uuid4().hex}"
    multipart = s3.multipart_start(store, key)
    header = {"chunk_size": str(chunk)}
    for index in range(count):
        length = min(chunk, size - index * chunk)
        header[f"{index + 1:05d}"] = s3.part_url(store, key, multipart, index, length)
    return Ticket(user_id=user.pk, oid=oid, size=size, multipart=multipart, key=key), header


def _direct_prefix(user) -> str:
    return f"{receive.STAGING}/u{user.pk}-lfs-"


def _open_direct(store, user) -> int:
    """Bytes the user's direct uploads still open are declared to take (their keys say)."""
    total = 0
    for name, _id, _began in s3.multipart_open(store, _direct_prefix(user)):
        size = name.rsplit("-lfs-", 1)[-1].split("-", 1)[0]
        total += int(size) if size.isdigit() else 0
    return total


def object_complete(*, ticket: str, body) -> None:
    """The completion of a direct upload (the client's POST to the upload URL): every part
    is at S3 with its length; they are joined, and a worker checks the bytes and makes them
    the user's blob (at once here when the broker is away)."""
    allowed = ticket_read(ticket)
    user = _ticket_user(allowed)
    store = s3.direct_store()
    if not allowed.multipart or store is None:
        raise Invalid("This upload link takes the file with a PUT.")
    if not isinstance(body, dict) or body.get("oid") != allowed.oid:
        raise Invalid("Send the oid and the parts this link was made for.")
    if allowed.oid in received(user=user, sha256s={allowed.oid}) or store.exists(allowed.key):
        return  # a repeat: joined already (and checked, or being checked)
    chunk = settings.HUB_UPLOAD_CHUNK_SIZE
    count = -(-allowed.size // chunk)
    try:
        parts = list(s3.parts(store, allowed.key, allowed.multipart))
    except s3.Gone:
        raise NotFound(NOT_RECEIVED) from None
    lengths = [min(chunk, allowed.size - n * chunk) for n in range(count)]
    if [(p["index"], p["size"]) for p in parts] != list(enumerate(lengths)):
        s3.multipart_abort(store, allowed.key, allowed.multipart)
        raise Invalid("Some parts did not reach the storage whole; run the upload again.")
    s3.multipart_complete(store, allowed.key, allowed.multipart, [p["etag"] for p in parts])
    from releases.tasks import receive_stored_object

    args = (allowed.key, allowed.oid, allowed.size, user.pk)
    if not queue.send(receive_stored_object, *args):
        object_stored(*args)


def object_stored(key: str, oid: str, size: int, user_id: int) -> None:
    """A direct upload joined in storage becomes the user's blob and receipt (the task)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        storage.storage().delete(key)
        return
    blob = receive.blob_from_stored(key=key, length=size, sha256=oid, user=user)
    _receipt_record(user.pk, blob.sha256)


def _ticket_user(ticket: Ticket) -> User:
    user = User.objects.filter(pk=ticket.user_id, is_active=True).first()
    if user is None:
        raise Refused(EXPIRED)
    return user


def object_receive(*, ticket: str, stream, length: int | None) -> Blob:
    """The PUT of an upload URL: its body, exactly the ticket's size and sha256, becomes the
    hub's blob of that content and the user's receipt for it."""
    allowed = ticket_read(ticket)
    user = _ticket_user(allowed)
    if length is None:
        raise Invalid("Send the file with a Content-Length.")
    if length != allowed.size:
        raise Invalid(f"This upload link is for {byte_count(allowed.size)}, not {length:,}.")
    blob = receive.blob_receive(stream=stream, length=length, sha256=allowed.oid, user=user)
    _receipt_record(user.pk, blob.sha256)
    return blob


def object_verify(*, ticket: str, body) -> None:
    """The verify action: the ticket's bytes arrived (the client repeats oid and size)."""
    allowed = ticket_read(ticket)
    user = _ticket_user(allowed)
    if not isinstance(body, dict) or body.get("oid") != allowed.oid:
        raise Invalid("Send the oid and size this link was made for.")
    deadline = time.monotonic() + VERIFY_WAIT
    store = storage.storage()
    while allowed.oid not in received(user=user, sha256s={allowed.oid}):
        # A direct upload's bytes may still be checked by a worker: wait a while for it.
        if not allowed.key or not store.exists(allowed.key):
            raise NotFound(NOT_RECEIVED)
        if time.monotonic() > deadline:
            raise Unavailable(STILL_CHECKING)
        time.sleep(0.25)
