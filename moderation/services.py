"""Moderation actions. Each one changes its target and writes its audit row in one
transaction, so the log never misses an action nor records one that did not happen."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from hub.errors import Conflict, Invalid, LimitReached, Refused
from hub.queue import send_on_commit
from moderation import tasks
from moderation.models import Action, ModerationAction, Report, ReportReason, ReportStatus
from releases.models import Blob, ReleaseFile
from releases.services.files import release_file_delete
from repos.facets import facets_forget
from repos.models import Repository

log = logging.getLogger(__name__)


def _record(moderator: User, action: Action, target: str, reason: str = "", **links):
    log.info(
        "moderation action=%s moderator=%s target=%s", action.value, moderator.username, target
    )
    return ModerationAction.objects.create(
        moderator=moderator,
        moderator_name=moderator.username,
        action=action,
        target=target,
        reason=reason,
        **links,
    )


def _locked(repository: Repository) -> Repository:
    return Repository.objects.select_for_update().select_related("owner").get(pk=repository.pk)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Give a reason: it is recorded and shown to the owner.")
    return reason


def _count_open_reports(repository_id: int, change: int) -> None:
    """Add `change` to the repository's `open_reports`, in the transaction of the change.

    An UPDATE of the column on itself: concurrent reports on one repository each add theirs
    (a count read and written back would lose one of them). Never below zero: a report filed
    by code older than the count (during an upgrade) is not in it when it closes.
    """
    Repository.objects.filter(pk=repository_id).update(
        open_reports=Greatest(F("open_reports") + change, 0)
    )


@transaction.atomic
def repository_hide(*, repository: Repository, moderator: User, reason: str) -> bool:
    """Hide a repository from everyone but its owner (who sees the reason) and staff.
    Returns False when it was already hidden by a moderator."""
    reason = _require_reason(reason)
    repo = _locked(repository)
    if repo.hidden_at and not repo.hidden_by_ban:
        return False
    repo.hidden_at = repo.hidden_at or timezone.now()
    repo.hidden_reason = reason
    repo.hidden_by_ban = False  # hidden for its own sake now: an unban leaves it hidden
    repo.save(update_fields=["hidden_at", "hidden_reason", "hidden_by_ban"])
    facets_forget(repo.owner_id)
    _record(moderator, Action.HIDE, repo.full_name, reason, repository=repo)
    return True


@transaction.atomic
def repository_restore(*, repository: Repository, moderator: User, reason: str) -> bool:
    """Show a hidden repository again. The reason is required, like a hide's, so the log says
    why. Returns False when it was not hidden."""
    reason = _require_reason(reason)
    repo = _locked(repository)
    if repo.hidden_at is None:
        return False
    if repo.hidden_by_ban and repo.owner.is_banned:
        raise Conflict(
            f"{repo.full_name} is hidden because its owner is banned: unban the owner instead."
        )
    repo.hidden_at = None
    repo.hidden_reason = ""
    repo.hidden_by_ban = False
    repo.save(update_fields=["hidden_at", "hidden_reason", "hidden_by_ban"])
    facets_forget(repo.owner_id)
    _record(moderator, Action.RESTORE, repo.full_name, reason, repository=repo)
    return True


@transaction.atomic
def repository_feature(
    *, repository: Repository, moderator: User, featured: bool = True, reason: str = ""
) -> bool:
    repo = _locked(repository)
    if featured == (repo.featured_at is not None):
        return False
    repo.featured_at = timezone.now() if featured else None
    repo.save(update_fields=["featured_at"])
    action = Action.FEATURE if featured else Action.UNFEATURE
    _record(moderator, action, repo.full_name, reason, repository=repo)
    return True


@transaction.atomic
def user_ban(*, user: User, moderator: User, reason: str) -> bool:
    """Ban an account: it cannot log in or use the API any more, and all its repositories are
    hidden. Returns False when it was banned already."""
    reason = _require_reason(reason)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == moderator.pk:
        raise Refused("You cannot ban yourself.")
    if user.is_staff or user.is_superuser:
        raise Refused(
            f"{user.username} is staff: take away their staff status before banning them."
        )
    if user.is_banned:
        return False
    now = timezone.now()
    user.banned_at, user.ban_reason, user.is_active = now, reason, False
    user.save(update_fields=["banned_at", "ban_reason", "is_active"])
    hidden = Repository.objects.filter(owner=user, hidden_at__isnull=True).update(
        hidden_at=now,
        hidden_reason=f"The owner's account is banned: {reason}",
        hidden_by_ban=True,
    )
    facets_forget(user.pk)
    _record(
        moderator, Action.BAN, f"{user.username} ({hidden} repositories hidden)", reason, user=user
    )
    return True


@transaction.atomic
def user_unban(*, user: User, moderator: User, reason: str) -> bool:
    """Lift a ban: the account works again and the repositories the ban hid come back (those
    hidden for another reason stay hidden). The reason is required, like a ban's. Returns
    False when it was not banned."""
    reason = _require_reason(reason)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_banned:
        return False
    user.banned_at, user.ban_reason, user.is_active = None, "", True
    user.save(update_fields=["banned_at", "ban_reason", "is_active"])
    restored = Repository.objects.filter(owner=user, hidden_by_ban=True).update(
        hidden_at=None, hidden_reason="", hidden_by_ban=False
    )
    facets_forget(user.pk)
    _record(
        moderator,
        Action.UNBAN,
        f"{user.username} ({restored} repositories restored)",
        reason,
        user=user,
    )
    return True


@transaction.atomic
def report_close(*, report: Report, moderator: User, status: str, reason: str = "") -> bool:
    report = (
        Report.objects.select_for_update().select_related("repository__owner").get(pk=report.pk)
    )
    if report.status != ReportStatus.OPEN:
        return False
    report.status = status
    report.closed_at = timezone.now()
    report.closed_by = moderator
    report.save(update_fields=["status", "closed_at", "closed_by"])
    _count_open_reports(report.repository_id, -1)
    action = Action.RESOLVE if status == ReportStatus.RESOLVED else Action.DISMISS
    _record(
        moderator,
        action,
        f"report #{report.pk} on {report.repository.full_name}",
        reason,
        report=report,
        repository=report.repository,
    )
    return True


@transaction.atomic
def file_delete_unsafe(
    *, release_file: ReleaseFile, moderator: User, reason: str, base_url: str
) -> None:
    """Delete a file from its release as a moderator, and block its content: the same bytes
    are no longer served from any release or Blob ID URL, and cannot be uploaded, linked or
    copied again (the owner could otherwise put them straight back).

    Other entries with the same content, in any release of any repository, stay listed as
    removed. Their repositories' pages change (`updated_at`, which the anonymous page cache
    follows), and their owners are mailed (links under `base_url`), with the owner of this
    entry; only this entry's owner when the content was blocked already."""
    reason = _require_reason(reason)
    rf = ReleaseFile.objects.select_related("blob", "release__repository__owner").get(
        pk=release_file.pk
    )
    repo = rf.release.repository
    target = f"{repo.full_name} {rf.release.version} {rf.path} ({rf.blob.blob_id})"
    now = timezone.now()
    newly_blocked = Blob.objects.filter(pk=rf.blob_id, blocked_at__isnull=True).update(
        blocked_at=now, blocked_reason=reason
    )
    release_file_delete(release_file=rf)
    holders = ReleaseFile.objects.filter(blob_id=rf.blob_id).values("release__repository_id")
    Repository.objects.filter(Q(pk=repo.pk) | Q(pk__in=holders)).update(updated_at=now)
    _record(moderator, Action.DELETE_FILE, target, reason, repository=repo)
    send_on_commit(
        tasks.send_content_removed_notices,
        rf.blob_id,
        rf.release_id,
        rf.path,
        bool(newly_blocked),
        base_url,
    )


def report_create(*, repository: Repository, reporter: User, reason: str, text: str) -> Report:
    """File a report. Refused for one's own repository, while the same user's report on it is
    open, and past HUB_REPORTS_PER_DAY reports by the user in the last 24 hours."""
    if repository.owner_id == reporter.pk:
        raise Refused("You cannot report your own repository.")
    if reason not in ReportReason.values:
        raise Invalid("Choose a reason.")
    limit = settings.HUB_REPORTS_PER_DAY
    since = timezone.now() - timedelta(days=1)
    try:
        with transaction.atomic():
            # The reporter's row lock makes concurrent reports of one account count in turn.
            list(User.objects.select_for_update().filter(pk=reporter.pk).values_list("pk"))
            if Report.objects.filter(reporter=reporter, created_at__gte=since).count() >= limit:
                raise LimitReached(
                    f"You have sent {limit} reports in the last 24 hours, the most an account "
                    "can. Please try again tomorrow."
                )
            report = Report.objects.create(
                repository=repository, reporter=reporter, reason=reason, text=text.strip()
            )
            _count_open_reports(repository.pk, +1)
    except IntegrityError:
        raise Conflict(
            "You already reported this repository; the moderators have not closed that report yet."
        ) from None
    log.info("report created id=%s repo=%s", report.pk, repository.pk)
    return report
