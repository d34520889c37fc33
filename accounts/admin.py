from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User


class BannedFilter(admin.SimpleListFilter):
    title = "ban"
    parameter_name = "banned"

    def lookups(self, request, model_admin):
        return [("yes", "Banned"), ("no", "Not banned")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(banned_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(banned_at__isnull=True)
        return queryset


@admin.register(User)
class HubUserAdmin(UserAdmin):
    """Accounts. Ban and unban, and each account's repository count, are added by
    `moderation.admin`, the layer that owns them."""

    list_display = [
        "username",
        "email",
        "is_staff",
        "banned",
        "date_joined",
        "last_login",
    ]
    list_filter = [BannedFilter, "is_staff", "is_superuser", "is_active", "groups"]
    readonly_fields = ["banned_at", "ban_reason", "last_login", "date_joined"]
    date_hierarchy = "date_joined"
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Profile", {"fields": ["display_name", "bio", "website_url", "github_url", "x_url"]}),
        ("Ban", {"fields": ["banned_at", "ban_reason"]}),
    ]

    @admin.display(description="Banned", boolean=True, ordering="banned_at")
    def banned(self, user):
        return user.is_banned
