from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User
from hub.admin_tools import count_subquery
from moderation import services as moderation
from moderation.admin_actions import reason_action, simple_action
from repos.models import Repository


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
    list_display = [
        "username",
        "email",
        "repositories",
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
        ("Ban", {"fields": ["banned_at", "ban_reason"]}),
    ]
    actions = [
        reason_action(
            name="ban_users",
            description="Ban the selected users",
            permission="ban",
            apply=lambda user, m, reason: moderation.user_ban(
                user=user, moderator=m, reason=reason
            ),
            done="Banned {count} user(s).",
            explanation="A banned account cannot log in or use the API, and all its "
            "repositories are hidden. Unbanning restores what the ban hid and nothing else.",
        ),
        simple_action(
            name="unban_users",
            description="Unban the selected users",
            permission="ban",
            apply=lambda user, m: moderation.user_unban(user=user, moderator=m),
            done="Unbanned {count} user(s).",
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

    @admin.display(description="Banned", boolean=True, ordering="banned_at")
    def banned(self, user):
        return user.is_banned
