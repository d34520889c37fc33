"""The Markdown editor's live preview (django-markdownx), for signed-in users. A preview may
cost a render of HUB_MARKDOWN_SECONDS, so each user gets HUB_EDITOR_PREVIEWS_PER_MINUTE."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit
from markdownx.views import MarkdownifyView

_preview = MarkdownifyView.as_view()


def _rate(_group, _request) -> str:
    return f"{settings.HUB_EDITOR_PREVIEWS_PER_MINUTE}/m"


@require_POST
@login_required
@ratelimit(key="user", rate=_rate, block=False)
def markdownify(request: HttpRequest) -> HttpResponse:
    if getattr(request, "limited", False):
        return HttpResponse(
            "Too many previews in a minute: the preview comes back shortly.",
            status=429,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "60"},
        )
    return _preview(request)
