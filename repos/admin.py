from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from hub.admin_tools import admin_link
from moderation import services as moderation
from moderation.admin import ModerationActionInline, open_reports_subquery
from moderation.admin_actions import reason_action, simple_action
from repos import services
from repos.models import License, Repository, RepositoryRedirect, Tag, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["spdx_id", "name", "position"]
    list_editable = ["position"]
    search_fields = ["spdx_id", "name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


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
                return queryset.filter(open_count__gt=0)
        return queryset


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner_link",
        "task",
        "visibility",
        "state",
        "open_reports",
        "downloads",
        "updated_at",
    ]
    list_filter = [ModerationStateFilter, "visibility", "task", "license"]
    list_select_related = ["owner", "task", "license"]
    search_fields = ["name", "owner__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner"]
    autocomplete_fields = ["tags"]
    readonly_fields = [
        "owner",
        "name",
        "moderation_state",
        "downloads",
        "created_at",
        "updated_at",
    ]
    inlines = [ModerationActionInline]
    actions = [
        reason_action(
            name="hide_repositories",
            description="Hide the selected repositories",
            permission="moderate",
            apply=lambda repo, m, reason: moderation.repository_hide(
                repository=repo, moderator=m, reason=reason
            ),
            done="Hid {count} repository(ies).",
            explanation="A hidden repository disappears from browse, search, its owner's page "
            "and downloads for everyone but its owner, who sees it with this reason, and staff.",
        ),
        simple_action(
            name="restore_repositories",
            description="Restore the selected hidden repositories",
            permission="moderate",
            apply=lambda repo, m: moderation.repository_restore(repository=repo, moderator=m),
            done="Restored {count} repository(ies).",
        ),
        simple_action(
            name="feature_repositories",
            description="Feature the selected repositories on the home page",
            permission="moderate",
            apply=lambda repo, m: moderation.repository_feature(repository=repo, moderator=m),
            done="Featured {count} repository(ies).",
        ),
        simple_action(
            name="unfeature_repositories",
            description="Stop featuring the selected repositories",
            permission="moderate",
            apply=lambda repo, m: moderation.repository_feature(
                repository=repo, moderator=m, featured=False
            ),
            done="Stopped featuring {count} repository(ies).",
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("description", "description_html", "search_vector")
            .annotate(open_count=open_reports_subquery())
        )

    def has_add_permission(self, request) -> bool:
        # Repositories are created on the site, where the first release comes with them.
        return False

    def has_moderate_permission(self, request) -> bool:
        return request.user.has_perm("repos.moderate_repository")

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.repository_refresh_derived(repository=form.instance)

    @admin.display(description="Owner", ordering="owner__username")
    def owner_link(self, repo):
        return admin_link(repo.owner, repo.owner.username)

    @admin.display(description="State")
    def state(self, repo):
        parts = []
        if repo.hidden_at:
            parts.append("Hidden (ban)" if repo.hidden_by_ban else "Hidden")
        if repo.featured_at:
            parts.append("Featured")
        return ", ".join(parts) or "—"

    @admin.display(description="Open reports", ordering="open_count")
    def open_reports(self, repo):
        if not repo.open_count:
            return 0
        url = reverse("admin:moderation_report_changelist")
        return format_html(
            '<a href="{}?repository__id__exact={}&amp;status__exact=open">{}</a>',
            url,
            repo.pk,
            repo.open_count,
        )

    @admin.display(description="Moderation")
    def moderation_state(self, repo):
        if repo.hidden_at:
            return format_html(
                "Hidden since {}{}: {}",
                repo.hidden_at.strftime("%Y-%m-%d %H:%M"),
                " (owner banned)" if repo.hidden_by_ban else "",
                repo.hidden_reason,
            )
        if repo.featured_at:
            return f"Featured since {repo.featured_at:%Y-%m-%d %H:%M}"
        return "Listed"


@admin.register(RepositoryRedirect)
class RepositoryRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_name", "owner", "repository", "created_at"]
    list_select_related = ["owner", "repository__owner"]
    search_fields = ["old_name", "owner__username"]
    raw_id_fields = ["owner", "repository"]
