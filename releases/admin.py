from django.contrib import admin

from releases.models import Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "repository", "created_by", "created_at"]
    list_select_related = ["repository__owner", "created_by"]
    search_fields = ["repository__name", "repository__owner__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["repository", "created_by"]
    readonly_fields = ["major", "minor", "created_at"]
