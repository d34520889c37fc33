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

A receipt is an empty object in the staging area, `incoming/received-u<user>-<sha256>`: it is
what lets the user's commit attach content nobody else's files let them read, without a
table of its own, and the hourly clean-up of stale bodies sweeps it after a day.
"""

import io
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from accounts.models import User
from hub import storage
from hub.errors import Invalid, NotFound, Refused
from releases import rules, selectors
from releases.models import Blob
from releases.services import receive

TICKET_SALT = "releases.api_hf.lfs.upload"
TICKET_MAX_AGE = 2 * 3600  # seconds; a rerun asks again and skips what was sent meanwhile
EXPIRED = "This upload link expired or is not valid; run the upload again."
NOT_RECEIVED = "These bytes did not reach the hub; run the upload again."
BATCH_SHAPE = 'Send {"operation": "upload", "objects": [{"oid": "<sha256>", "size": <bytes>}, …]}.'


@dataclass(frozen=True)
class Ticket:
    """What an upload URL allows: `user` sends `size` bytes of sha256 `oid`."""

    user_id: int
    oid: str
    size: int

    def sign(self) -> str:
        payload = {"u": self.user_id, "o": self.oid, "s": self.size}
        return signing.dumps(payload, salt=TICKET_SALT, compress=False)


def ticket_read(value: str) -> Ticket:
    """The ticket of an upload URL; Refused when it is forged, altered or expired."""
    try:
        payload = signing.loads(value, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
        return Ticket(user_id=int(payload["u"]), oid=str(payload["o"]), size=int(payload["s"]))
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
            ticket = Ticket(user_id=user.pk, oid=oid, size=size).sign()
            entry["actions"] = {
                "upload": {
                    "href": absolute(reverse("hf_lfs_object", args=[ticket])),
                    "expires_in": TICKET_MAX_AGE,
                },
                "verify": {
                    "href": absolute(reverse("hf_lfs_verify", args=[ticket])),
                    "expires_in": TICKET_MAX_AGE,
                },
            }
        answered.append(entry)
    return {"transfer": "basic", "objects": answered, "hash_algo": "sha256"}


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
        raise Invalid(f"This upload link is for {allowed.size:,} bytes, not {length:,}.")
    blob = receive.blob_receive(stream=stream, length=length, sha256=allowed.oid, user=user)
    _receipt_record(user.pk, blob.sha256)
    return blob


def object_verify(*, ticket: str, body) -> None:
    """The verify action: the ticket's bytes arrived (the client repeats oid and size)."""
    allowed = ticket_read(ticket)
    user = _ticket_user(allowed)
    if not isinstance(body, dict) or body.get("oid") != allowed.oid:
        raise Invalid("Send the oid and size this link was made for.")
    if allowed.oid not in received(user=user, sha256s={allowed.oid}):
        raise NotFound(NOT_RECEIVED)
