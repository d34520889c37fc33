"""Telling owners that the moderators removed content of theirs as unsafe, by mail (sent by
the worker, from ids).

Removing a file blocks its content on the whole hub, so every repository whose releases hold
the same bytes loses it, not only the one reported: each owner of such a repository gets one
mail naming their own entries (never where else the content was: that may be a private
repository of someone else), the moderators' reason, and what it means for them.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from accounts.models import User
from releases.models import Blob, Release, ReleaseFile

log = logging.getLogger(__name__)

LISTED = 50  # entries one mail names; it counts the rest


def content_removed_owners(
    *, blob_pk: int, release_id: int | None, everyone: bool = True
) -> list[int]:
    """Ids of the owners to tell: of every repository whose releases still hold the content
    (when it was `everyone`'s news, i.e. newly blocked), and of the release it was deleted
    from."""
    owners: set[int] = set()
    if everyone:
        owners.update(
            ReleaseFile.objects.filter(blob_id=blob_pk)
            .values_list("release__repository__owner_id", flat=True)
            .distinct()
        )
    if release_id is not None:
        owners.update(
            Release.objects.filter(pk=release_id).values_list("repository__owner_id", flat=True)
        )
    return sorted(owners)


def content_removed_mail_send(
    *, owner_id: int, blob_pk: int, release_id: int | None, path: str, base_url: str
) -> None:
    """Mail one owner their entries whose content was removed: those still listed (marked
    removed) and the one deleted from its release, if theirs. Nothing for an account that is
    gone, banned, inactive or without an address."""
    owner = User.objects.filter(pk=owner_id, is_active=True, banned_at__isnull=True).first()
    blob = Blob.objects.filter(pk=blob_pk, blocked_at__isnull=False).first()
    if owner is None or blob is None or not owner.email:
        return
    site = base_url.rstrip("/")
    entries = []
    deleted = (
        Release.objects.select_related("repository__owner")
        .filter(pk=release_id, repository__owner=owner)
        .first()
        if release_id is not None
        else None
    )
    if deleted is not None:
        repo = deleted.repository
        entries.append(
            {"repository": repo.full_name, "version": deleted.version, "path": path,
             "deleted": True, "url": site + repo.get_absolute_url()}
        )  # fmt: skip
    listed = (
        ReleaseFile.objects.filter(blob=blob, release__repository__owner=owner)
        .select_related("release__repository__owner")
        .order_by("release__repository__name", "-release__major", "-release__minor", "path")
    )
    total = len(entries) + listed.count()
    for rf in listed[:LISTED]:
        repo, version = rf.release.repository, rf.release.version
        entries.append(
            {"repository": repo.full_name, "version": version, "path": rf.path,
             "deleted": False, "url": site + repo.url("file_detail", version=version, path=rf.path)}
        )  # fmt: skip
    if not entries:
        return
    context = {
        "user": owner,
        "entries": entries,
        "more": total - len(entries),
        "repositories": sorted({e["repository"] for e in entries}),
        "reason": blob.blocked_reason,
        "blob_id": blob.blob_id,
        "site_name": "Model Hub",
    }
    subject = " ".join(
        render_to_string("moderation/mail/content_removed_subject.txt", context).split()
    )
    body = render_to_string("moderation/mail/content_removed_body.txt", context)
    EmailMessage(settings.EMAIL_SUBJECT_PREFIX + subject, body, to=[owner.email]).send()
    log.info("content removal mailed owner=%s blob=%s entries=%s", owner.pk, blob.pk, total)
