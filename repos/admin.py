from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from hub import pagination
from hub.admin_tools import QuickRowsAdmin, admin_link
from repos import selectors, services
from repos.access import readable_q
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


@admin.register(Repository)
class RepositoryAdmin(QuickRowsAdmin):
    """Repositories the staff member may read (`repos.access`). Moderation (actions, the
    log, open reports) is added by `moderation.admin`."""

    list_display = [
        "name",
        "owner_link",
        "task",
        "visibility",
        "state",
        "downloads",
        "updated_at",
    ]
    list_filter = ["visibility", "task", "license", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["owner", "task", "license"]
    search_fields = ["name", "owner__username"]
    # At a million repositories, counting them all (twice: the filtered list and the whole)
    # and listing the years they were created in (a date hierarchy) cost seconds a page:
    # the list counts up to COUNT_CAP ("10,000+ repositories", templates/admin/
    # pagination.html; `get_paginator`) and filters by creation date with fixed choices.
    show_full_result_count = False
    list_per_page = 50
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

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(readable_q(request.user))
            .defer("description", "description_html", "search_vector")
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # "10,000+" is remembered for a minute, as on the site's lists (hub.pagination).
        cap = pagination.COUNT_CAP
        memo = selectors.admin_count_memo(
            user=request.user, admin_list="repositories", params=request.GET, cap=cap
        )
        return pagination.CappedPaginator(
            queryset, per_page, orphans, allow_empty_first_page, cap=cap, memo=memo
        )

    def has_add_permission(self, request) -> bool:
        # Repositories are created on the site, where the first release comes with them.
        return False

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
