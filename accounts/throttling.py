"""Throttling of log-ins (django-axes) and sign-ups (django-ratelimit): the hooks they call."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def username_of(request: HttpRequest, credentials: dict | None) -> str:
    """The account a log-in attempt is for, as accounts are named: case-insensitively, so
    "Alice" and "alice" count against the same account."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower()


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a log-in attempt while the account or the address is paused: 429, saying
    when to come back."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
