from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import tokens as token_service
from accounts.forms import SignupForm, TokenForm
from hub.errors import HubError
from hub.web import form_error


def _signup_rate(group, request) -> str:
    return f"{settings.HUB_SIGNUPS_PER_HOUR}/h"


@sensitive_post_parameters("password1", "password2")
@ratelimit(key="ip", rate=_signup_rate, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if getattr(request, "limited", False):
        context = {"per_hour": settings.HUB_SIGNUPS_PER_HOUR}
        return render(request, "registration/signup_limited.html", context, status=429)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect("repo_create")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's access tokens; a new one is shown once, on the page that made it."""
    form = TokenForm(request.POST or None)
    created = raw = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires"]
        expires_at = timezone.now() + timedelta(days=int(days)) if days else None
        try:
            created, raw = token_service.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=expires_at,
            )
        except HubError as exc:
            form_error(form, exc)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": token_service.tokens_of(request.user),
        "created": created,
        "raw": raw,
        "now": timezone.now(),
    }
    status = 201 if created else 400 if request.method == "POST" else 200
    response = render(request, "accounts/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may show a token
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = token_service.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, f"Revoked the token “{token.name}”: it no longer works.")
    return redirect("tokens")
