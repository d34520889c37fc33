"""Comparing two releases of a repository (a selector): files added, removed and changed by
Blob ID, and for ONNX files the signature diff (`releases.signatures`), with the changes that
break callers.

Asked by the compare page, the release page (a minor release that breaks callers of the one
before it) and the release form (a release created as a copy of one whose models would break
callers of the latest). Only ONNX files at the same path in both releases are compared for
breaking changes: a removed file is listed as removed, not as breaking (a release just
created is empty until its files come, and callers of the older release still find its
files there).
"""

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, JSONField, OuterRef, Q, Sum, Value, When

from releases.models import OnnxStatus, Release, ReleaseFile, format_version
from releases.paths import url_path
from releases.signatures import SignatureDiff, Tensor, signature_diff


@dataclass(frozen=True)
class Side:
    """A file as one release holds it."""

    path: str
    blob_id: str
    size: int
    onnx_status: str
    signature: dict | None

    @property
    def is_onnx(self) -> bool:
        return self.path.lower().endswith(".onnx")

    @property
    def signature_summary(self) -> str:
        """An ONNX model's inputs and outputs on one line, for a file only one side has."""
        if not self.signature or self.onnx_status != OnnxStatus.VALID:
            return ""
        parts = []
        for key, label in (("inputs", "in"), ("outputs", "out")):
            tensors = [Tensor.of(t) for t in self.signature.get(key, [])]
            text = ", ".join(f"{t.name} {t.type}{t.shape_text}" for t in tensors) or "none"
            parts.append(f"{label}: {text}")
        return "; ".join(parts)

    @property
    def short_id(self) -> str:
        """The Blob ID as the files table shortens it."""
        return f"{self.blob_id[:12]}…{self.blob_id[-6:]}"


@dataclass
class FileChange:
    path: str
    status: str  # added | removed | changed
    old: Side | None
    new: Side | None
    signature: SignatureDiff | None = None
    signature_note: str = ""  # why there is no signature diff of a changed ONNX file

    @property
    def url_path(self) -> str:
        """The path as `reverse` writes it in a URL."""
        return url_path(self.path)

    @property
    def size_delta(self) -> int:
        return (self.new.size if self.new else 0) - (self.old.size if self.old else 0)

    @property
    def breaking(self) -> list[str]:
        return self.signature.breaking if self.signature else []


@dataclass
class Comparison:
    base: Release
    head: Release
    added: list[FileChange]
    removed: list[FileChange]
    changed: list[FileChange]
    unchanged: int
    base_size: int
    head_size: int
    base_count: int
    head_count: int

    @property
    def breaking(self) -> list[FileChange]:
        return [c for c in self.changed if c.breaking]

    @property
    def model_changes(self) -> list[FileChange]:
        """The changed ONNX files, whose signatures the page compares."""
        return [c for c in self.changed if c.old.is_onnx]

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _not_compared(old: Side, new: Side) -> str:
    for side, label in ((old, "the base"), (new, "the head")):
        if side.onnx_status == OnnxStatus.UNCHECKED:
            return f"The signature in {label} is still being read; reload in a moment."
        if side.onnx_status == OnnxStatus.INVALID or not side.signature:
            return f"The file in {label} is not a valid ONNX model."
    return ""


def _change(old: Side, new: Side) -> FileChange:
    change = FileChange(old.path, "changed", old, new)
    if old.is_onnx:
        change.signature_note = _not_compared(old, new)
        if not change.signature_note:
            change.signature = signature_diff(old.signature, new.signature)
    return change


_FIELDS = ("release_id", "path", "blob__blob_id", "blob__size", "blob__onnx_status")


def _differing(base_id: int, head_id: int, *, onnx_only: bool = False):
    """The files of either release that the other has not at the same path with the same
    blob, by release and path: one query, an anti-join on (release, path), so the unchanged
    files of two large releases never leave the database. The signature column is read for
    ONNX paths only (a CASE)."""
    onnx_path = Q(path__iendswith=".onnx")
    rows = ReleaseFile.objects.filter(release_id__in=[base_id, head_id])
    if onnx_only:
        rows = rows.filter(onnx_path, blob__onnx_status=OnnxStatus.VALID)
    twin = ReleaseFile.objects.filter(
        # The other release of the two (their ids add up to base + head); the IN keeps the
        # planner to the two releases' rows, whatever the size of the table.
        release_id__in=[base_id, head_id],
        release_id=Value(base_id + head_id) - OuterRef("release_id"),
        path=OuterRef("path"),
        blob_id=OuterRef("blob_id"),
    )
    signature = Case(
        When(onnx_path, then=F("blob__onnx_signature")),
        default=Value(None, output_field=JSONField()),
        output_field=JSONField(),
    )
    rows = rows.exclude(Exists(twin)).annotate(sig=signature)
    by_release: dict[int, dict[str, Side]] = {base_id: {}, head_id: {}}
    for release_id, path, blob_id, size, status, sig in rows.values_list(*_FIELDS, "sig"):
        by_release[release_id][path] = Side(path, blob_id, size, status, sig)
    return by_release[base_id], by_release[head_id]


def release_compare(*, base: Release, head: Release) -> Comparison:
    """What changed from `base` to `head` (two releases of one readable repository): two
    queries, whatever the number of files."""
    old, new = _differing(base.pk, head.pk) if base.pk != head.pk else ({}, {})
    added, removed, changed = [], [], []
    for path in sorted(old.keys() | new.keys()):
        a, b = old.get(path), new.get(path)
        if a is None:
            added.append(FileChange(path, "added", None, b))
        elif b is None:
            removed.append(FileChange(path, "removed", a, None))
        else:
            changed.append(_change(a, b))
    totals = {
        row["release_id"]: (row["count"], row["size"] or 0)
        for row in ReleaseFile.objects.filter(release_id__in=[base.pk, head.pk])
        .values("release_id")
        .annotate(count=Count("id"), size=Sum("blob__size"))
        .order_by()
    }
    base_count, base_size = totals.get(base.pk, (0, 0))
    head_count, head_size = totals.get(head.pk, (0, 0))
    return Comparison(
        base=base,
        head=head,
        added=added,
        removed=removed,
        changed=changed,
        unchanged=base_count - len(removed) - len(changed),
        base_size=base_size,
        head_size=head_size,
        base_count=base_count,
        head_count=head_count,
    )


def _onnx_breaking(old_release: Release, new_release_id: int) -> list[FileChange]:
    """The ONNX files at the same path in both whose signature breaks callers of the old."""
    old, new = _differing(old_release.pk, new_release_id, onnx_only=True)
    found = []
    for path in sorted(old.keys() & new.keys()):
        change = _change(old[path], new[path])
        if change.breaking:
            found.append(change)
    return found


@dataclass
class BreakingWarning:
    """A minor release whose ONNX signatures break callers of the release before it."""

    previous: Release
    files: list[FileChange]
    suggested: str  # the major version to publish these files as instead


def _next_major(repository) -> str:
    top = repository.releases.order_by("-major").values_list("major", flat=True).first() or 0
    return format_version(top + 1, 0)


def release_breaking_warning(
    *, release: Release, previous: Release | None
) -> BreakingWarning | None:
    """For a minor release (vN.xx, xx > 0): the ONNX signature changes that break callers of
    `previous`, the release just before it (of the same major); None when there are none."""
    if release.minor == 0 or previous is None:
        return None
    files = _onnx_breaking(previous, release.pk)
    if not files:
        return None
    return BreakingWarning(previous, files, _next_major(release.repository))


def release_create_warning(
    *, repository, bump: str, source: Release | None
) -> BreakingWarning | None:
    """Before a release is created: a minor release made as a copy of `source` has exactly
    the files of `source`; the warning when those break callers of the latest release (which
    will be the one before it)."""
    latest = repository.latest_release
    if bump != "minor" or source is None or latest is None or source.pk == latest.pk:
        return None
    files = _onnx_breaking(latest, source.pk)
    if not files:
        return None
    return BreakingWarning(latest, files, _next_major(repository))
