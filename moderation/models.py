from django.conf import settings
from django.db import models


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    MALWARE = "malware", "Malware or an unsafe file"
    COPYRIGHT = "copyright", "Copyright or license violation"
    INAPPROPRIATE = "inappropriate", "Inappropriate content"
    OTHER = "other", "Other"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


class Report(models.Model):
    """A signed-in user's report of a repository, for the moderators' queue."""

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    text = models.TextField("details", blank=True, max_length=2000)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "reporter"],
                condition=models.Q(status="open"),
                name="moderation_one_open_report_per_user",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "repository", "-created_at"], name="moderation_queue"),
            models.Index(fields=["reporter", "-created_at"], name="moderation_reporter_recent"),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} on {self.repository} ({self.get_reason_display().lower()})"


class Action(models.TextChoices):
    HIDE = "hide", "Hid repository"
    RESTORE = "restore", "Restored repository"
    FEATURE = "feature", "Featured repository"
    UNFEATURE = "unfeature", "Unfeatured repository"
    BAN = "ban", "Banned user"
    UNBAN = "unban", "Unbanned user"
    RESOLVE = "resolve", "Resolved report"
    DISMISS = "dismiss", "Dismissed report"
    DELETE_FILE = "delete_file", "Deleted file"


class ModerationAction(models.Model):
    """The audit log: one row per moderation action, never edited or deleted.

    The target is linked while it exists and described in `target` for good.
    """

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator_name = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    target = models.CharField(max_length=1200)
    repository = models.ForeignKey(
        "repos.Repository",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "moderation action"
        indexes = [
            models.Index(fields=["moderator", "-created_at"], name="moderation_by_moderator"),
            models.Index(fields=["repository", "-created_at"], name="moderation_by_repository"),
        ]

    def __str__(self) -> str:
        return f"{self.moderator_name}: {self.get_action_display()} {self.target}"
