"""What the moderators removed from a repository as unsafe, for its owner and the moderators:
the notice on the repository page.

Removing a file as unsafe (`moderation.services.file_delete_unsafe`) deletes that entry from
its release and blocks its content on the whole hub; every other entry with the same content,
in any release of any repository, stays listed as removed. The notice names both kinds: the
entries still listed (until the owner deletes them) and, for `RECENT_DAYS`, the paths deleted
whose content is blocked. Only the repository's own entries are named: never where else the
content was, which may be a private repository.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from releases.models import Blob, DeletedPath, ReleaseFile
from repos.models import Repository

RECENT_DAYS = 30  # how long a deleted path stays in the notice (the owner was also mailed)
SHOWN = 10  # entries the notice lists; it counts the rest


@dataclass
class Removal:
    version: str
    path: str
    reason: str
    at: datetime
    url: str = ""  # the file page, while the entry is listed
    deleted: bool = False  # the entry left its release


@dataclass
class Removals:
    shown: list[Removal]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


def repository_removals(*, repository: Repository) -> Removals:
    """The repository's entries whose content the moderators removed, newest first: at most
    `SHOWN` of them and the count of all, in five queries at most whatever their number."""
    listed = ReleaseFile.objects.filter(
        release__repository=repository, blob__blocked_at__isnull=False
    )
    blocked = Blob.objects.filter(blocked_at__isnull=False).values("sha256")
    deleted = DeletedPath.objects.filter(
        release__repository=repository,
        sha256__in=blocked,
        deleted_at__gte=timezone.now() - timedelta(days=RECENT_DAYS),
    )
    total = listed.count() + deleted.count()
    if not total:
        return Removals(shown=[], total=0)
    shown = [
        Removal(
            version=rf.release.version,
            path=rf.path,
            reason=rf.blob.blocked_reason,
            at=rf.blob.blocked_at,
            url=repository.url("file_detail", version=rf.release.version, path=rf.path),
        )
        for rf in listed.select_related("release", "blob").order_by(
            "-blob__blocked_at", "-release__major", "-release__minor", "path"
        )[:SHOWN]
    ]
    gone = list(deleted.select_related("release").order_by("-deleted_at", "path")[:SHOWN])
    reasons = dict(
        Blob.objects.filter(sha256__in={d.sha256 for d in gone}).values_list(
            "sha256", "blocked_reason"
        )
    )
    shown += [
        Removal(
            version=d.release.version,
            path=d.path,
            reason=reasons.get(d.sha256, ""),
            at=d.deleted_at,
            deleted=True,
        )
        for d in gone
    ]
    shown.sort(key=lambda r: r.at, reverse=True)
    return Removals(shown=shown[:SHOWN], total=total)
