from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.utils.text import Truncator

from hub.admin_tools import admin_link, count_subquery
from moderation import services
from moderation.admin_actions import reason_action, simple_action
from moderation.models import ModerationAction, Report, ReportStatus


def open_reports_subquery(repository_ref: str = "pk"):
    """Open reports of a repository, as a column computed in the list's own query."""
    return count_subquery(
        Report.objects.filter(status=ReportStatus.OPEN), "repository", repository_ref
    )


def _hide_repository_of_report(report, moderator, reason):
    hidden = services.repository_hide(
        repository=report.repository, moderator=moderator, reason=reason
    )
    for other in Report.objects.filter(repository=report.repository, status=ReportStatus.OPEN):
        services.report_close(
            report=other, moderator=moderator, status=ReportStatus.RESOLVED, reason=reason
        )
    return hidden


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """The reports queue: open reports first, those of the most reported repositories first,
    each repository's reports together."""

    list_display = [
        "repository_link",
        "open_on_repository",
        "reason",
        "details",
        "reporter_link",
        "status",
        "created_at",
    ]
    list_filter = ["status", "reason"]
    search_fields = [
        "repository__name",
        "repository__owner__username",
        "reporter__username",
        "text",
    ]
    date_hierarchy = "created_at"
    list_per_page = 50
    readonly_fields = [
        "repository",
        "reporter",
        "reason",
        "text",
        "status",
        "created_at",
        "closed_at",
        "closed_by",
    ]
    actions = [
        *(
            simple_action(
                name=f"{verb}_reports",
                description=f"{verb.capitalize()} the selected reports",
                permission="change",
                apply=lambda r, m, status=status: services.report_close(
                    report=r, moderator=m, status=status
                ),
                done=f"{past} {{count}} report(s).",
            )
            for verb, past, status in [
                ("resolve", "Resolved", ReportStatus.RESOLVED),
                ("dismiss", "Dismissed", ReportStatus.DISMISSED),
            ]
        ),
        reason_action(
            name="hide_reported_repositories",
            description="Hide the reported repositories",
            permission="hide",
            apply=_hide_repository_of_report,
            done="Hid {count} repository(ies); their open reports are resolved.",
            explanation="Each repository disappears for everyone but its owner, who sees the "
            "reason. All open reports on it are resolved.",
        ),
    ]

    def get_queryset(self, request):
        # Not super(): it orders by get_ordering() before these annotations exist.
        return Report.objects.select_related("repository__owner", "reporter").annotate(
            open_count=open_reports_subquery("repository"),
            queue_rank=Case(
                When(status=ReportStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )

    def get_ordering(self, request):
        return ["queue_rank", "-open_count", "repository_id", "-created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # users file reports on the site

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reports are closed, never removed

    def has_hide_permission(self, request) -> bool:
        return request.user.has_perm("repos.moderate_repository")

    @admin.display(description="Repository", ordering="repository__name")
    def repository_link(self, report):
        return admin_link(report.repository, report.repository.full_name)

    @admin.display(description="Open reports on it", ordering="open_count")
    def open_on_repository(self, report):
        return report.open_count or 0

    @admin.display(description="Reporter", ordering="reporter__username")
    def reporter_link(self, report):
        return admin_link(report.reporter, report.reporter.username)

    @admin.display(description="Details")
    def details(self, report):
        return Truncator(report.text).chars(120) or "—"


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log, for reading only: nobody can add, change or delete an entry."""

    list_display = ["created_at", "moderator_name", "action", "target_link", "reason_short"]
    list_filter = ["action", ("moderator", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["target", "reason", "moderator_name"]
    date_hierarchy = "created_at"
    list_select_related = ["repository__owner", "user", "report"]
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Target")
    def target_link(self, entry):
        if entry.repository is not None:
            return admin_link(entry.repository, entry.target)
        if entry.user is not None:
            return admin_link(entry.user, entry.target)
        return entry.target

    @admin.display(description="Reason")
    def reason_short(self, entry):
        return Truncator(entry.reason).chars(140) or "—"


class ModerationActionInline(admin.TabularInline):
    """The log entries about one repository, on its admin page."""

    model = ModerationAction
    fk_name = "repository"
    fields = ["created_at", "moderator_name", "action", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "moderation log"
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
