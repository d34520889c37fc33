from django import template

from accounts.models import User
from moderation.models import Report, ReportStatus
from repos.models import Repository

register = template.Library()


@register.inclusion_tag("admin/moderation/summary.html", takes_context=True)
def moderation_summary(context):
    """What waits for the moderators, on the admin's front page (three counts)."""
    user = context["request"].user
    return {
        "open_reports": Report.objects.filter(status=ReportStatus.OPEN).count()
        if user.has_perm("moderation.view_report")
        else None,
        "hidden": Repository.objects.filter(hidden_at__isnull=False).count()
        if user.has_perm("repos.view_repository")
        else None,
        "banned": User.objects.filter(banned_at__isnull=False).count()
        if user.has_perm("accounts.view_user")
        else None,
    }
