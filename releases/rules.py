"""The addition rule: may this content go at this path of this release?

Written once, here, and asked by every way a file enters a release: the upload plan, the
start of an upload, the end of its verification, a link to content already on the hub, a copy
of the previous release's files and content added by scripts. A release's files never change:

- a path holds one content for good; the same content again is a no-op (`PRESENT`);
- a deleted path stays reserved for the content it held;
- content the moderators blocked goes nowhere;
- a release holds at most `HUB_MAX_FILES_PER_RELEASE` files.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError

from hub.errors import Blocked, Conflict, Invalid, LimitReached
from hub.formats import human_size
from releases.models import Blob, Release
from releases.paths import normalize_path

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
BLOB_ID_RE = re.compile(r"^baf(?:krei|ybei)[a-z2-7]{52}$")  # CIDv1 base32 sha2-256: raw, dag-pb
# Said of blocked content wherever it is offered: the same words whether or not the sender
# could know that the content was on the hub (it may have been in someone's private release).
BLOCKED_MESSAGE = "The hub does not accept this file; nothing was added."


class Verdict(StrEnum):
    NEW = "new"  # the path is free for this content
    PRESENT = "present"  # the path already holds this very content


@dataclass
class Contents:
    """What the rule needs to know of a release, loaded once for a batch of files."""

    release: Release
    files: dict[str, str]  # path → sha256 (of the paths asked about, or of all)
    reserved: dict[str, str]  # deleted path → the sha256 it stays reserved for
    blocked: set[str]  # blocked digests among those asked about
    count: int  # files in the release


def contents(release: Release, *, paths: set[str] | None = None, sha256s=()) -> Contents:
    """The release's files and reserved paths (only `paths`, when given) and which of
    `sha256s` are blocked: three or four queries whatever the batch."""
    files, reserved = release.files.all(), release.deleted_paths.all()
    if paths is not None:
        files, reserved = files.filter(path__in=paths), reserved.filter(path__in=paths)
    found = dict(files.values_list("path", "blob__sha256"))
    sha256s = set(sha256s)
    blocked = Blob.objects.filter(sha256__in=sha256s, blocked_at__isnull=False)
    return Contents(
        release=release,
        files=found,
        reserved=dict(reserved.values_list("path", "sha256")),
        blocked=set(blocked.values_list("sha256", flat=True)) if sha256s else set(),
        count=len(found) if paths is None else release.files.count(),
    )


def check_addition(state: Contents, *, path: str, sha256: str) -> Verdict:
    """NEW when `sha256` may go at `path`, PRESENT when it is there already; raises Blocked
    or Conflict (with `state="conflict"` for the uploader) when it may not."""
    if sha256 in state.blocked:
        raise Blocked(BLOCKED_MESSAGE)
    version = state.release.version
    current = state.files.get(path)
    if current == sha256:
        return Verdict.PRESENT
    if current is not None:
        raise Conflict(
            f"{version} already has “{path}” with other content. Files in a release never "
            "change: create a new release for the new version.",
            state="conflict",
        )
    if state.reserved.get(path, sha256) != sha256:
        raise Conflict(
            f"“{path}” was deleted from {version} and can only come back with the same "
            "content. Create a new release for the new version.",
            state="conflict",
        )
    return Verdict.NEW


def check_room(state: Contents, adding: int) -> None:
    """Raises LimitReached when `adding` new paths would pass the release's file limit."""
    limit = settings.HUB_MAX_FILES_PER_RELEASE
    if state.count + adding <= limit:
        return
    version = state.release.version
    if adding == 1:
        raise LimitReached(f"{version} already holds the maximum of {limit:,} files.")
    raise LimitReached(
        f"{version} has {state.count:,} files; adding {adding:,} would pass the limit of "
        f"{limit:,} files a release."
    )


def clean_entry(entry, *, sha256_later: bool = False) -> tuple[str, int, str]:
    """(path, size, sha256) of one file someone wants to add; raises Invalid saying why not.
    With `sha256_later`, an entry without sha256 (absent or null) is taken, with "" for it:
    by its size alone, or by its Blob ID (`blob_id`, see `entry_blob_id`)."""
    if not isinstance(entry, dict):
        raise Invalid("Each file must be an object with path, size and sha256.")
    try:
        path = normalize_path(entry.get("path"))
    except ValidationError as exc:
        raise Invalid(exc.messages[0]) from None
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Invalid(f"“{path}”: the size must be a whole number of bytes.")
    if size > settings.HUB_MAX_FILE_SIZE:
        raise Invalid(
            f"“{path}” is larger than the limit: files can be at most "
            f"{human_size(settings.HUB_MAX_FILE_SIZE)}."
        )
    if sha256_later and entry.get("sha256") is None:
        if entry.get("blob_id") is not None and clean_blob_id(entry["blob_id"]) is None:
            raise Invalid(f"“{path}”: blob_id must be a Blob ID (a CIDv1 such as bafkrei…).")
        return path, size, ""
    sha256 = clean_sha256(entry.get("sha256", ""))
    if sha256 is None:
        raise Invalid(f"“{path}”: sha256 must be 64 hexadecimal characters.")
    return path, size, sha256


def entry_blob_id(entry) -> str:
    """The Blob ID an entry declares instead of its sha256 (checked by `clean_entry`), or ""."""
    if not isinstance(entry, dict) or entry.get("sha256") is not None:
        return ""
    return clean_blob_id(entry.get("blob_id")) or ""


def clean_blob_id(raw) -> str | None:
    """The Blob ID, or None when it is not one the hub computes."""
    blob_id = str(raw)
    return blob_id if BLOB_ID_RE.match(blob_id) else None


def clean_sha256(raw) -> str | None:
    """The digest in lower case, or None when it is not 64 hexadecimal characters."""
    sha256 = str(raw).lower()
    return sha256 if SHA256_RE.match(sha256) else None


def clean_path(raw) -> str:
    """The canonical (NFC) form of a path; raises Invalid saying why it cannot be one."""
    try:
        return normalize_path(raw)
    except ValidationError as exc:
        raise Invalid(exc.messages[0]) from None
