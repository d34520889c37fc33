from django.contrib import admin

from hub.admin_tools import QuickRowsAdmin
from inference.models import InferenceJob, SigningAccount


@admin.register(InferenceJob)
class InferenceJobAdmin(QuickRowsAdmin):
    list_display = [
        "id",
        "file_label",
        "mode",
        "status",
        "requested_by",
        "tx_hash",
        "block_number",
        "created_at",
    ]
    list_filter = ["status", "mode", "backend", ("requested_by", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["requested_by"]
    search_fields = ["file_label", "model_id", "tx_hash", "requested_by__username"]
    date_hierarchy = "created_at"
    exclude = ["signed_tx"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("inputs", "outputs", "signed_tx")

    readonly_fields = [f.name for f in InferenceJob._meta.fields if f.name != "signed_tx"]

    def has_add_permission(self, request):
        return False  # jobs are made from a file page, which checks the input

    def has_delete_permission(self, request, obj=None):
        return False  # a job may hold a signed transaction: its record must stay


@admin.register(SigningAccount)
class SigningAccountAdmin(admin.ModelAdmin):
    """Read-only: a nonce edited by hand would leave a gap that stalls every later job."""

    list_display = ["address", "chain_id", "next_nonce", "updated_at"]
    readonly_fields = ["address", "chain_id", "next_nonce", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
