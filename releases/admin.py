from django import forms
from django.contrib import admin

from hub.admin_tools import QuickRowsAdmin, admin_link, count_subquery
from hub.errors import Invalid
from hub.formats import human_size
from releases.models import Blob, Release, ReleaseFile
from releases.services import releases as services
from repos.access import readable_q


class ReleaseAdminForm(forms.ModelForm):
    def clean_notes(self) -> str:
        notes = self.cleaned_data["notes"]
        try:
            services.notes_derived(notes)  # refused here as on the site: too large, too deep
        except Invalid as error:
            raise forms.ValidationError(error.message) from None
        return notes


@admin.register(Release)
class ReleaseAdmin(QuickRowsAdmin):
    """Releases are numbered and created on the site; here their notes can be corrected (as
    on the site, through `release_notes_update`, which renders them and their excerpt)."""

    form = ReleaseAdminForm
    list_display = ["__str__", "repository_link", "file_count", "created_by", "created_at"]
    list_select_related = ["repository__owner", "created_by"]
    list_filter = ["major", "repository__visibility"]
    search_fields = ["repository__name", "repository__owner__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["repository", "created_by"]
    readonly_fields = ["major", "minor", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # version numbers come from `release_create`

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if "notes" in form.changed_data:
            services.release_notes_update(release=obj, notes=obj.notes)

    def get_queryset(self, request):
        files = count_subquery(ReleaseFile.objects.all(), "release")
        return (
            super()
            .get_queryset(request)
            .filter(readable_q(request.user, prefix="repository__"))
            .defer("notes", "notes_html")
            .annotate(n_files=files)
        )

    @admin.display(description="Repository", ordering="repository__name")
    def repository_link(self, release):
        return admin_link(release.repository, release.repository.full_name)

    @admin.display(description="Files", ordering="n_files")
    def file_count(self, release):
        return release.n_files or 0


@admin.register(ReleaseFile)
class ReleaseFileAdmin(QuickRowsAdmin):
    """Files, for finding unsafe ones (`moderation.admin` adds the moderator's delete: recorded
    in the log, the content blocked, the path kept reserved like an owner's delete)."""

    list_display = [
        "path",
        "repository_link",
        "version",
        "blob_link",
        "size",
        "uploaded_by",
        "created_at",
    ]
    list_select_related = ["release__repository__owner", "blob", "uploaded_by"]
    list_filter = ["blob__onnx_status"]
    search_fields = [
        "path",
        "release__repository__name",
        "release__repository__owner__username",
        "blob__blob_id",
        "blob__sha256",
    ]
    date_hierarchy = "created_at"
    readonly_fields = ["release", "path", "blob", "uploaded_by", "created_at"]

    def get_queryset(self, request):
        readable = readable_q(request.user, prefix="release__repository__")
        return super().get_queryset(request).filter(readable)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a raw delete would skip the log
        return actions

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Repository", ordering="release__repository__name")
    def repository_link(self, rf):
        return admin_link(rf.release.repository, rf.release.repository.full_name)

    @admin.display(description="Release")
    def version(self, rf):
        return rf.release.version

    @admin.display(description="Blob ID")
    def blob_link(self, rf):
        return admin_link(rf.blob, rf.blob.blob_id[:16] + "…")

    @admin.display(description="Size", ordering="blob__size")
    def size(self, rf):
        return human_size(rf.blob.size)


@admin.register(Blob)
class BlobAdmin(QuickRowsAdmin):
    list_display = [
        "blob_id",
        "readable_size",
        "onnx_status",
        "file_count",
        "blocked_at",
        "created_at",
    ]
    list_filter = ["onnx_status", ("blocked_at", admin.EmptyFieldListFilter)]
    search_fields = ["blob_id", "sha256"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "blob_id",
        "sha256",
        "size",
        "onnx_status",
        "onnx_signature",
        "onnx_error",
        "blocked_at",
        "blocked_reason",
        "created_at",
    ]

    def get_queryset(self, request):
        files = count_subquery(ReleaseFile.objects.all(), "blob")
        return super().get_queryset(request).defer("onnx_signature").annotate(n_files=files)

    def has_add_permission(self, request) -> bool:
        return False  # blobs come from uploads

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # `manage.py collect_blobs` removes unreferenced blobs

    @admin.display(description="Size", ordering="size")
    def readable_size(self, blob):
        return human_size(blob.size)

    @admin.display(description="Files", ordering="n_files")
    def file_count(self, blob):
        return blob.n_files or 0
