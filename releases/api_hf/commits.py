"""huggingface_hub's preupload and commit, onto a release's files.

**Preupload** answers "lfs" for every file, whatever its size or kind: all content then
travels as sha256-addressed LFS objects (`lfs.py`), so every byte is checked against a digest
declared before the transfer, identical content is recognised before it moves, and no file
rides base64-encoded inside a commit request. (The client itself still sends an empty file as
a "regular" one, inline in the commit: the commit takes those.) The answer also gives, per
path, the sha256 of the file already there, so the client leaves identical files out of its
commit on its own.

**A commit** is applied whole or not at all, in one transaction, through the same services
as every other door: an `lfsFile` is `files.file_add` of a blob the user may use — a readable
copy anywhere on the hub, or bytes they sent themselves (`lfs.received`); identical content
at the same path is a no-op, other content there a Conflict, blocked content refused in the
words used everywhere. Content the user can neither read nor proved they hold is answered as
"not uploaded", whether or not the hub has it. `deletedFile` / `deletedFolder` are the site's
file delete (`files.release_file_delete`, for the repository's managers, who alone reach a
commit): the path stays reserved for its content, as on the site. The commit's summary and
description are not kept (a release has notes of its own, written on the site).
"""

import base64
import binascii
import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from accounts.models import User
from hub.api import json_loads
from hub.errors import Conflict, Invalid, LimitReached, NotFound
from hub.formats import byte_count
from releases import rules, selectors
from releases.api_hf import lfs, revisions
from releases.models import Blob, Release
from releases.services import files

log = logging.getLogger(__name__)

LFS = "lfs"
ONE_LINE = (
    'Send one JSON object a line: {"key": "header"|"lfsFile"|"file"|"deletedFile"|'
    '"deletedFolder", "value": {…}}.'
)


def preupload_answer(*, release: Release, body) -> dict:
    """The upload mode of each file the client is about to commit to `release`: "lfs", with
    the sha256 already at that path when there is a file there. Paths that cannot be in a
    release, files past the size limit and a release that cannot take that many new files are
    refused now, before any byte moves."""
    entries = body.get("files") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        raise Invalid('Send {"files": [{"path": …, "size": …}, …]}.')
    wanted: dict[str, str] = {}  # path as sent → canonical path
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise Invalid("Each file needs a path.")
        path, _size, _sha = rules.clean_entry({**entry, "sha256": "0" * 64})
        wanted[entry["path"]] = path
    state = rules.contents(release, paths=set(wanted.values()))
    rules.check_room(state, len({p for p in wanted.values() if p not in state.files}))
    answer = []
    for sent, path in wanted.items():
        item = {"path": sent, "uploadMode": LFS, "shouldIgnore": False}
        if path in state.files:
            item["oid"] = state.files[path]
        answer.append(item)
    return {"files": answer}


@dataclass
class Commit:
    """A parsed commit: its parent (when the client named one) and operations, in order."""

    parent: str | None = None
    operations: list[tuple[str, dict]] = field(default_factory=list)


def commit_parse(data: bytes) -> Commit:
    """The NDJSON body of a commit; Invalid when a line is not one of the client's,
    LimitReached as soon as it holds more than HUB_COMMIT_MAX_OPERATIONS operations (counted
    as the lines are read: the rest is not parsed, and nothing was looked up or stored)."""
    commit = Commit()
    most = settings.HUB_COMMIT_MAX_OPERATIONS
    for number, line in enumerate(io.BytesIO(data), start=1):  # read lazily: may stop early
        if not line.strip():
            continue
        try:
            item = json_loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise Invalid(f"Line {number} of the commit is not JSON. {ONE_LINE}") from None
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise Invalid(f"Line {number} of the commit has no value. {ONE_LINE}")
        key, value = item.get("key"), item["value"]
        if key == "header":
            parent = value.get("parentCommit")
            commit.parent = parent if isinstance(parent, str) else None
        elif key in ("lfsFile", "file", "deletedFile", "deletedFolder"):
            if not isinstance(value.get("path"), str):
                raise Invalid(f"Line {number} of the commit has no path.")
            if len(commit.operations) == most:
                raise LimitReached(
                    f"A commit holds at most {most:,} operations (files added or deleted); "
                    "this one has more. Split it into several commits.",
                    limit=most,
                )
            commit.operations.append((key, value))
        else:
            raise Invalid(f"Line {number}: the hub does not know “{key}”. {ONE_LINE}")
    if not commit.operations:
        raise Invalid("The commit changes nothing.")
    return commit


def _lfs_blobs(user: User, operations) -> dict[str, Blob]:
    """The blobs the user may attach, by sha256, among those the commit names."""
    wanted = set()
    for key, value in operations:
        if key == "lfsFile":
            oid = rules.clean_sha256(value.get("oid", ""))
            if oid is None or value.get("algo", "sha256") != "sha256":
                raise Invalid(f"“{value['path']}”: the oid must be a sha256.")
            wanted.add(oid)
    copies = selectors.readable_copies(user=user, sha256s=wanted)
    usable = {digest: rf.blob for digest, rf in copies.items()}
    sent = lfs.received(user=user, sha256s=wanted - set(usable))
    usable.update({blob.sha256: blob for blob in Blob.objects.filter(sha256__in=sent)})
    return usable


def _add_lfs(release: Release, user: User, value: dict, usable: dict[str, Blob]) -> None:
    path = rules.clean_path(value["path"])
    oid = value["oid"].lower()
    blob = usable.get(oid)
    if blob is None:
        raise Invalid(
            f"The content of “{path}” (sha256 {oid}) was not uploaded; run the upload again."
        )
    size = value.get("size")
    if size is not None and size != blob.size:
        raise Invalid(f"“{path}”: the content with this sha256 has {byte_count(blob.size)}.")
    files.file_add(release=release, path=path, blob=blob, user=user)


def _add_inline(release: Release, user: User, value: dict) -> None:
    if value.get("encoding", "base64") != "base64":
        raise Invalid(f"“{value['path']}”: inline content must be base64.")
    try:
        data = base64.b64decode(value.get("content") or "", validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"“{value['path']}”: the content is not valid base64.") from None
    files.file_add_content(release=release, path=value["path"], data=data, user=user)


def _delete(release: Release, value: dict, *, folder: bool) -> None:
    path = rules.clean_path(value["path"].rstrip("/"))
    found = release.files.select_related("blob")
    found = found.filter(path__startswith=f"{path}/") if folder else found.filter(path=path)
    doomed = list(found)
    if not doomed:
        what = "folder" if folder else "file"
        raise NotFound(f"A {what} with this name doesn't exist in {release.version}: “{path}”.")
    for rf in doomed:
        files.release_file_delete(release_file=rf)


def commit_apply(*, release: Release, user: User, data: bytes) -> str:
    """Apply the commit in `data` (NDJSON) to `release`, which `user` manages, all or
    nothing; returns the release's commit id. Raises Invalid, Conflict, Blocked, LimitReached
    or NotFound (a deleted path that is not there) and then changes nothing."""
    commit = commit_parse(data)
    head = revisions.commit_id(release)
    if commit.parent is not None and not head.startswith(commit.parent.lower()):
        raise Conflict(
            f"{release.version} is at commit {head}, not {commit.parent}: "
            "it changed since you looked."
        )
    usable = _lfs_blobs(user, commit.operations)
    with transaction.atomic():
        for key, value in commit.operations:
            if key == "lfsFile":
                _add_lfs(release, user, value, usable)
            elif key == "file":
                _add_inline(release, user, value)
            else:
                _delete(release, value, folder=key == "deletedFolder")
    log.info(
        "hf commit release=%s user=%s operations=%s", release.pk, user.pk, len(commit.operations)
    )
    return head
