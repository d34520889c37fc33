"""Reads of releases and their files, scoped by the access policy, and the upload plan."""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, ExpressionWrapper, Q, QuerySet, Value, When

from hub.errors import Blocked, HubError, Invalid, NotFound
from releases import rules, tree
from releases.models import (
    ACTIVE_UPLOAD,
    Blob,
    Release,
    ReleaseFile,
    Upload,
    UploadStatus,
    format_version,
)
from repos.access import BLOCKED_MESSAGE, content_usable, readable_q
from repos.models import Repository


def release_list(*, repository: Repository, with_notes: bool = False) -> QuerySet[Release]:
    """Releases of a repository the caller may already read, newest first, with the excerpt
    of their notes and `has_notes`. The notes themselves (up to 128 KiB each) only
    `with_notes`; their HTML (up to 1 MiB) never: only a release's own page shows it."""
    releases = (
        repository.releases.select_related("created_by")
        .defer("notes_html")
        .annotate(has_notes=ExpressionWrapper(~Q(notes=""), output_field=BooleanField()))
        .order_by("-major", "-minor")
    )
    return releases if with_notes else releases.defer("notes")


VERSION_LABEL = re.compile(r"^v?([0-9]{1,6})\.([0-9]{2,6})$")


def version_of(label: str) -> tuple[int, int] | None:
    """(major, minor) of a version as clients write it, `v1.02` or `1.02`; else None."""
    match = VERSION_LABEL.match(label)
    return (int(match[1]), int(match[2])) if match else None


def release_get(*, repository: Repository, version: tuple[int, int]) -> Release:
    major, minor = version
    release = (
        repository.releases.select_related("created_by").filter(major=major, minor=minor).first()
    )
    if release is None:
        raise NotFound("No such release.")
    release.repository = repository
    return release


def release_file_get(*, release: Release, path: str) -> ReleaseFile:
    """The file at `path` (any Unicode form: stored paths are NFC) of a readable release."""
    try:
        path = rules.clean_path(path)
    except Invalid:
        raise NotFound("No such file in this release.") from None
    rf = release.files.select_related("blob").filter(path=path).first()
    if rf is None:
        raise NotFound("No such file in this release.")
    rf.release = release
    return rf


def release_file_graph(*, release: Release, path: str) -> ReleaseFile:
    """The file at `path` whose graph the viewer shows (`ReleaseFile.has_graph`): Blocked for
    content the moderators removed, NotFound for what is not an ONNX model."""
    rf = release_file_get(release=release, path=path)
    if not content_usable(rf.blob):
        raise Blocked(BLOCKED_MESSAGE)
    if not rf.has_graph:
        raise NotFound("This file has no graph to show: it is not an ONNX model.")
    return rf


def release_file_latest(*, repository: Repository, path: str) -> ReleaseFile:
    """The file at `path` in the newest release (highest version) of a readable repository
    that has a file there: what `resolve/latest/<path>` serves."""
    try:
        path = rules.clean_path(path)
    except Invalid:
        raise NotFound("No release of this repository has this file.") from None
    rf = (
        ReleaseFile.objects.filter(release__repository=repository, path=path)
        .select_related("blob", "release")
        .order_by("-release__major", "-release__minor")
        .first()
    )
    if rf is None:
        raise NotFound("No release of this repository has this file.")
    rf.release.repository = repository
    return rf


def release_file_readable_by_blob_id(*, user, blob_id: str) -> ReleaseFile:
    """A file with this Blob ID in a repository `user` may read; NotFound otherwise."""
    rf = (
        ReleaseFile.objects.filter(readable_q(user, prefix="release__repository__"))
        .filter(blob__blob_id=blob_id)
        .select_related("blob", "release__repository__owner")
        .order_by("-created_at")
        .first()
    )
    if rf is None:
        raise NotFound("No such blob.")
    return rf


def release_files(*, release: Release) -> list[ReleaseFile]:
    files = list(release.files.select_related("blob").order_by("path"))
    for rf in files:
        rf.release = release
    return files


def release_main_file(*, release: Release) -> list[ReleaseFile]:
    """The file a repository page's snippets show, alone in a list ([] when none is usable):
    its first ONNX model with a signature, else its first ONNX file, else its first file, read
    without loading the whole release."""
    usable = release.files.select_related("blob").filter(blob__blocked_at__isnull=True)
    valid_first = Case(When(blob__onnx_status="valid", then=Value(0)), default=Value(1))
    found = list(usable.filter(path__iendswith=".onnx").order_by(valid_first, "path")[:1])
    found = found or list(usable.order_by("path")[:1])
    for rf in found:
        rf.release = release
    return found


def release_folder(*, release: Release, path: str = "") -> tree.Listing:
    """One folder of a readable release (`path` "" is the top) with its subfolders' sizes, in
    one query whatever the number of files; NotFound when no file is under `path`."""
    if path:
        try:
            path = rules.clean_path(path.strip("/"))
        except Invalid:
            raise NotFound("No such folder in this release.") from None
    files = release.files.filter(path__startswith=f"{path}/") if path else release.files.all()
    rows = files.order_by().values_list(
        "path", "blob__size", "blob__blob_id", "blob__blocked_at", "blob__blocked_reason"
    )
    found = tree.listing(release, path, rows)
    if path and not found.count:
        raise NotFound("No such folder in this release.")
    return found


def release_previous(*, release: Release) -> Release | None:
    """The release just before `release` in version order."""
    return (
        release.repository.releases.filter(
            Q(major__lt=release.major) | Q(major=release.major, minor__lt=release.minor)
        )
        .order_by("-major", "-minor")
        .first()
    )


def uploads_unfinished(*, release: Release, user) -> list[Upload]:
    """The user's uploads into `release` that stopped while receiving chunks (a closed tab,
    a pause): dropping the same file again resumes each where it stopped (one sent before
    its sha256 was known is replaced instead)."""
    if not user.is_authenticated:
        return []
    return list(
        Upload.objects.filter(release=release, user=user, status=UploadStatus.RECEIVING)
        .filter(ACTIVE_UPLOAD)
        .order_by("path")
    )


def readable_copies(*, user, sha256s: set[str]) -> dict[str, ReleaseFile]:
    """For each digest, a file with that content in a repository `user` may read (the newest).

    One query for the whole list; content found only where the user cannot read it is simply
    absent from the answer, so it is never revealed.
    """
    if not sha256s:
        return {}
    found: dict[str, ReleaseFile] = {}
    rows = (
        ReleaseFile.objects.filter(readable_q(user, prefix="release__repository__"))
        .filter(blob__sha256__in=sha256s, blob__blocked_at__isnull=True)
        .select_related("release__repository__owner", "blob")
        .order_by("blob__sha256", "-created_at")
    )
    if connection.vendor == "postgresql":
        rows = rows.distinct("blob__sha256")  # one row a digest, however common the content
    for rf in rows:
        found.setdefault(rf.blob.sha256, rf)
    return found


@dataclass
class PlannedFile:
    path: str
    size: int
    sha256: str
    action: str  # upload | present | link | conflict | invalid | hash (send the sha256)
    message: str = ""
    warning: str = ""
    source: dict = field(default_factory=dict)
    blob_id: str = ""  # as the file was declared

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", {}, None)}


def _source(rf: ReleaseFile) -> dict:
    repo = rf.release.repository
    return {
        "repository": repo.full_name,
        "version": rf.release.version,
        "path": rf.path,
        "url": rf.release.get_absolute_url(),
        "label": f"identical to {repo.full_name} {rf.release.version} {rf.path}",
    }


def files_plan(*, release: Release, user, files) -> list[PlannedFile]:
    """What to do with each file the browser wants to put into `release`; changes nothing.

    Each file gets the answer of the addition rule (`releases.rules`): upload it, it is
    present, it conflicts, or link it without transfer to a copy the user may read. A file is
    known by its sha256, or by its Blob ID (`blob_id`), which a browser computes several times
    faster; the answers are the same either way.

    A file may also come with its size alone, so that a client can send it while it hashes
    it: it is answered "upload" when no copy can exist (the path is free and nothing the user
    may read has that size), else "hash": ask again with its sha256. Content only others may
    read does not count, so no answer reveals anything about it.
    """
    if not isinstance(files, list) or not files:
        raise Invalid("Send a list of files with path, size and sha256.")
    if len(files) > settings.HUB_MAX_FILES_PER_RELEASE:
        raise Invalid(f"A release holds at most {settings.HUB_MAX_FILES_PER_RELEASE:,} files.")
    cleaned: list[PlannedFile | tuple[str, int, str, str]] = []
    seen: set[str] = set()
    for entry in files:
        try:
            path, size, sha256 = rules.clean_entry(entry, sha256_later=True)
        except Invalid as exc:
            raw = entry.get("path") if isinstance(entry, dict) else None
            shown = raw[:300] if isinstance(raw, str) else ""
            cleaned.append(PlannedFile(shown, 0, "", "invalid", exc.message))
            continue
        if path in seen:
            cleaned.append(PlannedFile(path, size, sha256, "invalid", "This path is listed twice."))
            continue
        seen.add(path)
        cleaned.append((path, size, sha256, rules.entry_blob_id(entry)))
    wanted = [c for c in cleaned if isinstance(c, tuple)]
    # The sha256 behind a Blob ID stays inside the plan: it only lets the rules compare.
    by_blob_id = sha256_of_blob_ids({c[3] for c in wanted if c[3]})
    # Blocked digests are not asked about: the plan answers them like any new content, so it
    # never tells whether a digest is on the hub; the verification refuses them after transfer.
    digests = {c[2] or by_blob_id.get(c[3], "") for c in wanted} - {""}
    state = rules.contents(release)
    twins = {
        rf.blob.sha256: rf
        for rf in release.files.filter(
            blob__sha256__in=digests, blob__blocked_at__isnull=True
        ).select_related("blob")
    }
    for rf in twins.values():
        rf.release = release
    elsewhere = readable_copies(user=user, sha256s=digests - set(twins))
    answer_later = _sha256_later(release, user, [c for c in wanted if not c[2] and not c[3]])
    plan: list[PlannedFile] = []
    for c in cleaned:
        if isinstance(c, PlannedFile):
            plan.append(c)
        elif c[2]:
            plan.append(_plan_one(state, *c[:3], twins, elsewhere))
        elif c[3] and c[0] in state.reserved:
            # A deleted path takes back only its content, which may be gone from the hub: by
            # Blob ID the answer would tell whether someone still holds it. Ask for the sha256.
            plan.append(PlannedFile(*c[:2], "", "hash", "Ask again with its sha256.", blob_id=c[3]))
        elif c[3]:  # new content when no blob has the Blob ID: no file's sha256 is ""
            planned = _plan_one(state, *c[:2], by_blob_id.get(c[3], ""), twins, elsewhere)
            planned.sha256, planned.blob_id = "", c[3]
            plan.append(planned)
        else:
            plan.append(answer_later(state, *c[:2]))
    rules.check_room(state, sum(p.action in ("upload", "link") for p in plan))
    return plan


def sha256_of_blob_ids(blob_ids: set[str]) -> dict[str, str]:
    """The sha256 of each known, unblocked Blob ID (one query), for the rules to compare
    content declared by its Blob ID. Never to be shown: it would tell that the content exists."""
    if not blob_ids:
        return {}
    rows = Blob.objects.filter(blob_id__in=blob_ids, blocked_at__isnull=True)
    return dict(rows.values_list("blob_id", "sha256"))


def _sha256_later(release: Release, user, later: list[tuple[str, int, str, str]]):
    """The plan's answer to files announced by size alone: two queries for all of them."""
    if not later:
        return None
    taken_sizes = readable_sizes(user=user, sizes={c[1] for c in later})
    # The user's own upload that declared its sha256 resumes only when asked with it, and
    # someone else's upload at the path is answered once the content is known.
    busy = set(
        Upload.objects.filter(ACTIVE_UPLOAD, release=release, path__in=[c[0] for c in later])
        .exclude(user=user, sha256="", blob_id="")
        .values_list("path", flat=True)
    )

    def answer(state, path: str, size: int) -> PlannedFile:
        if size in taken_sizes or path in state.files or path in state.reserved or path in busy:
            return PlannedFile(path, size, "", "hash", "Ask again with its sha256.")
        return PlannedFile(path, size, "", "upload")

    return answer


def readable_sizes(*, user, sizes: set[int]) -> set[int]:
    """Which of `sizes` some content `user` may read has: one query. Content only others may
    read is left out, so an answer built on this reveals nothing."""
    if not sizes:
        return set()
    rows = ReleaseFile.objects.filter(readable_q(user, prefix="release__repository__")).filter(
        blob__size__in=sizes, blob__blocked_at__isnull=True
    )
    return set(rows.values_list("blob__size", flat=True).distinct())


def _plan_one(state, path: str, size: int, sha256: str, twins, elsewhere) -> PlannedFile:
    try:
        verdict = rules.check_addition(state, path=path, sha256=sha256)
    except HubError as exc:
        action = "conflict" if exc.details.get("state") == "conflict" else "invalid"
        return PlannedFile(path, size, sha256, action, exc.message)
    if verdict == rules.Verdict.PRESENT:
        return PlannedFile(path, size, sha256, "present", "Already in this release.")
    if (twin := twins.get(sha256)) is not None:
        warning = f"Same content as “{twin.path}” in this release."
        return PlannedFile(path, size, sha256, "link", warning=warning, source=_source(twin))
    if (copy := elsewhere.get(sha256)) is not None:
        return PlannedFile(path, size, sha256, "link", source=_source(copy))
    return PlannedFile(path, size, sha256, "upload")


def release_versions(*, repository: Repository) -> list[str]:
    """The versions of a readable repository's releases, newest first: one query."""
    rows = repository.releases.order_by("-major", "-minor").values_list("major", "minor")
    return [format_version(major, minor) for major, minor in rows]
