from django.contrib import admin
from django.db import models

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


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "task", "license", "visibility", "updated_at"]
    list_filter = ["visibility", "task", "license"]
    list_select_related = ["owner", "task", "license"]
    search_fields = ["name", "owner__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner"]
    autocomplete_fields = ["tags"]
    readonly_fields = ["owner", "name", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        # Repositories are created on the site, where the first release comes with them.
        return False

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.repository_refresh_derived(repository=form.instance)


@admin.register(RepositoryRedirect)
class RepositoryRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_name", "owner", "repository", "created_at"]
    list_select_related = ["owner", "repository__owner"]
    search_fields = ["old_name", "owner__username"]
    raw_id_fields = ["owner", "repository"]
