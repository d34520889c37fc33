"""The moderators' admin: the reports queue, the read-only log, and moderation added to the
admins of users, repositories and files (registered by the apps below, replaced here)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import HubUserAdmin
from accounts.models import User
from hub.admin_tools import QuickRowsAdmin, admin_link, count_subquery, shorten
from hub.pagination import NarrowPagesPaginator
from moderation import selectors, services
from moderation.admin_actions import reason_action, simple_action
from moderation.models import ModerationAction, Report, ReportStatus
from releases.admin import ReleaseFileAdmin
from releases.models import ReleaseFile
from repos import access
from repos import selectors as repo_selectors
from repos.admin import RepositoryAdmin
from repos.models import Repository


def _hide_repository_of_report(report, moderator, reason):
    hidden = services.repository_hide(
        repository=report.repository, moderator=moderator, reason=reason
    )
    for other in Report.objects.filter(repository=report.repository, status=ReportStatus.OPEN):
        services.report_close(
            report=other, moderator=moderator, status=ReportStatus.RESOLVED, reason=reason
        )
    return hidden


QUEUE_COUNT_CAP = 1_000


@admin.register(Report)
class ReportAdmin(QuickRowsAdmin):
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
    # The report's own page opens from its reason: the first column already links to the
    # repository, and a link inside Django's row link would leave that one without a name.
    list_display_links = ["reason"]
    list_filter = ["status", "reason", ("created_at", admin.DateFieldListFilter)]
    search_fields = [
        "repository__name",
        "repository__owner__username",
        "reporter__username",
        "text",
    ]
    list_per_page = 50
    # Counted up to QUEUE_COUNT_CAP ("1,000+ reports"; the admin's front page gives the
    # exact number of open reports), once (not again unfiltered), filtered by date with
    # fixed choices instead of a date hierarchy's queries over every report, and sorted
    # (selectors.report_queue) before one page's repositories and users are joined: a
    # backlog of tens of thousands of reports would otherwise cost each of these a join
    # over all of them. Moderators work the queue from the top, or narrow it with filters.
    paginator = NarrowPagesPaginator
    show_full_result_count = False
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
                done=(f"{past} {{count}} report.", f"{past} {{count}} reports."),
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
            done=(
                "Hid {count} repository; its open reports are resolved.",
                "Hid {count} repositories; their open reports are resolved.",
            ),
            explanation="Each repository disappears for everyone but its owner, who sees the "
            "reason. All open reports on it are resolved.",
        ),
    ]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # "1,000+" is remembered for a minute (hub.pagination.CountMemo); fewer are counted.
        memo = repo_selectors.admin_count_memo(
            user=request.user, admin_list="reports", params=request.GET, cap=QUEUE_COUNT_CAP
        )
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, cap=QUEUE_COUNT_CAP, memo=memo
        )

    def _open_only(self, request) -> bool:
        return request.GET.get("status__exact") == ReportStatus.OPEN

    def get_queryset(self, request):
        # Not super(): it orders by get_ordering() before the queue's annotation exists.
        return selectors.report_queue(user=request.user, open_only=self._open_only(request))

    def get_ordering(self, request):
        return selectors.report_queue_order(open_only=self._open_only(request))

    def has_add_permission(self, request) -> bool:
        return False  # users file reports on the site

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reports are closed, never removed

    def has_hide_permission(self, request) -> bool:
        return request.user.has_perm("repos.moderate_repository")

    @admin.display(description="Repository", ordering="repository__name")
    def repository_link(self, report):
        return admin_link(report.repository, report.repository.full_name)

    @admin.display(description="Open reports on it", ordering="repository__open_reports")
    def open_on_repository(self, report):
        return report.repository.open_reports

    @admin.display(description="Reporter", ordering="reporter__username")
    def reporter_link(self, report):
        return admin_link(report.reporter, report.reporter.username)

    @admin.display(description="Details")
    def details(self, report):
        return shorten(report.text, 120)


@admin.register(ModerationAction)
class ModerationActionAdmin(QuickRowsAdmin):
    """The audit log, for reading only: nobody can add, change or delete an entry."""

    list_display = ["created_at", "moderator_name", "action", "target_link", "reason_short"]
    list_filter = ["action", ("moderator", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["target", "reason", "moderator_name"]
    date_hierarchy = "created_at"
    list_select_related = ["repository__owner", "user", "report"]
    list_per_page = 100
    # Every field shown read-only: a form field for `report` would order reports by the
    # queue's annotations, which exist only in the reports list's own query.
    readonly_fields = [
        "created_at",
        "moderator",
        "moderator_name",
        "action",
        "target",
        "reason",
        "repository",
        "user",
        "report",
    ]

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
        return shorten(entry.reason, 140)


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


# Moderation on the admins of the layers below: each is registered there without it and
# replaced here by a subclass that adds the actions, columns and log this app owns.


class ModerationStateFilter(admin.SimpleListFilter):
    title = "moderation"
    parameter_name = "moderation"

    def lookups(self, request, model_admin):
        return [
            ("hidden", "Hidden"),
            ("hidden_by_ban", "Hidden by a ban"),
            ("listed", "Not hidden"),
            ("featured", "Featured"),
            ("reported", "With open reports"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "hidden":
                return queryset.filter(hidden_at__isnull=False)
            case "hidden_by_ban":
                return queryset.filter(hidden_by_ban=True)
            case "listed":
                return queryset.filter(hidden_at__isnull=True)
            case "featured":
                return queryset.filter(featured_at__isnull=False)
            case "reported":
                return queryset.filter(open_reports__gt=0)
        return queryset


def _replace(model, admin_class):
    admin.site.unregister(model)
    admin.site.register(model, admin_class)


class ModeratedRepositoryAdmin(RepositoryAdmin):
    list_display = [*RepositoryAdmin.list_display]
    list_display.insert(list_display.index("state") + 1, "open_reports_link")
    list_filter = [ModerationStateFilter, *RepositoryAdmin.list_filter]
    inlines = [ModerationActionInline]
    actions = [
        reason_action(
            name="hide_repositories",
            description="Hide the selected repositories",
            permission="moderate",
            apply=lambda repo, m, reason: services.repository_hide(
                repository=repo, moderator=m, reason=reason
            ),
            done=("Hid {count} repository.", "Hid {count} repositories."),
            explanation="A hidden repository disappears from browse, search, its owner's page "
            "and downloads for everyone but its owner, who sees it with this reason, and the "
            "moderators.",
        ),
        reason_action(
            name="restore_repositories",
            description="Restore the selected hidden repositories",
            permission="moderate",
            apply=lambda repo, m, reason: services.repository_restore(
                repository=repo, moderator=m, reason=reason
            ),
            done=("Restored {count} repository.", "Restored {count} repositories."),
            explanation="Each repository is listed, searchable and downloadable again. One "
            "hidden because its owner is banned comes back with an unban of the owner instead.",
        ),
        simple_action(
            name="feature_repositories",
            description="Feature the selected repositories on the home page",
            permission="moderate",
            apply=lambda repo, m: services.repository_feature(repository=repo, moderator=m),
            done=("Featured {count} repository.", "Featured {count} repositories."),
        ),
        simple_action(
            name="unfeature_repositories",
            description="Stop featuring the selected repositories",
            permission="moderate",
            apply=lambda repo, m: services.repository_feature(
                repository=repo, moderator=m, featured=False
            ),
            done=(
                "Stopped featuring {count} repository.",
                "Stopped featuring {count} repositories.",
            ),
        ),
    ]

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm(access.MODERATE)

    @admin.display(description="Open reports", ordering="open_reports")
    def open_reports_link(self, repo):
        if not repo.open_reports:
            return 0
        url = reverse("admin:moderation_report_changelist")
        return format_html(
            '<a href="{}?repository__id__exact={}&amp;status__exact=open">{}</a>',
            url,
            repo.pk,
            repo.open_reports,
        )


class ModeratedUserAdmin(HubUserAdmin):
    list_display = [*HubUserAdmin.list_display]
    list_display.insert(list_display.index("email") + 1, "repositories")
    actions = [
        reason_action(
            name="ban_users",
            description="Ban the selected users",
            permission="ban",
            apply=lambda user, m, reason: services.user_ban(user=user, moderator=m, reason=reason),
            done=("Banned {count} user.", "Banned {count} users."),
            explanation="A banned account cannot log in or use the API, and all its "
            "repositories are hidden. Unbanning restores what the ban hid and nothing else.",
        ),
        reason_action(
            name="unban_users",
            description="Unban the selected users",
            permission="ban",
            apply=lambda user, m, reason: services.user_unban(
                user=user, moderator=m, reason=reason
            ),
            done=("Unbanned {count} user.", "Unbanned {count} users."),
            explanation="Each account can log in and use the API again, and the repositories "
            "its ban hid come back; those hidden for a reason of their own stay hidden.",
        ),
    ]

    def get_queryset(self, request):
        owned = count_subquery(Repository.objects.all(), "owner")
        return super().get_queryset(request).annotate(repo_count=owned)

    def has_ban_permission(self, request) -> bool:
        return request.user.has_perm("accounts.ban_user")

    @admin.display(description="Repositories", ordering="repo_count")
    def repositories(self, user):
        return user.repo_count or 0


class ModeratedReleaseFileAdmin(ReleaseFileAdmin):
    actions = [
        reason_action(
            name="delete_unsafe_files",
            description="Delete the selected files as unsafe and block their content",
            permission="remove_unsafe",
            apply=lambda rf, m, reason, base_url: (
                services.file_delete_unsafe(
                    release_file=rf, moderator=m, reason=reason, base_url=base_url
                )
                or True
            ),
            done=("Deleted {count} file.", "Deleted {count} files."),
            explanation="Each file leaves its release, and its content is blocked on the whole "
            "hub: no release or Blob ID URL serves it any more, and nobody can upload, link, "
            "copy or run it again. Other releases holding the same bytes, in any repository, "
            "keep the entry, marked as removed. The owner of every such repository is mailed "
            "the reason and sees it on the repository's page: write it for them.",
            mails=True,
            label=lambda rf: f"{rf.release.repository.full_name} {rf.release.version}: {rf.path}",
            related=("release__repository__owner",),
        ),
    ]

    def has_remove_unsafe_permission(self, request) -> bool:
        return request.user.has_perm("releases.remove_unsafe_file")


_replace(Repository, ModeratedRepositoryAdmin)
_replace(User, ModeratedUserAdmin)
_replace(ReleaseFile, ModeratedReleaseFileAdmin)
