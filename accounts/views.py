import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import services, throttling
from accounts import tokens as token_service
from accounts.forms import (
    EmailChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignupForm,
    TokenForm,
)
from hub.errors import HubError
from hub.web import form_error


def _signup_rate(group, request) -> str:
    return f"{settings.HUB_SIGNUPS_PER_HOUR}/h"


def _asked(email: str) -> str:
    """What the mail limits count an e-mail address asked about as: a hash, not the address."""
    return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


@sensitive_post_parameters("password1", "password2")
@ratelimit(key="ip", rate=_signup_rate, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    """Ask for a name, an address and a password; the account is made when the link mailed to
    the address is followed. Every address gets the same answer, whether an account uses it
    or not (its owner gets a notice instead of the link)."""
    if request.user.is_authenticated:
        return redirect("home")
    if getattr(request, "limited", False):
        context = {"per_hour": settings.HUB_SIGNUPS_PER_HOUR}
        return render(request, "registration/signup_limited.html", context, status=429)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if throttling.mail_requests_limited(request, "signup-mail", _asked(email)):
            return throttling.mail_limited_page(request, "sign-ups with this address")
        try:
            services.signup_request(
                username=form.cleaned_data["username"],
                email=email,
                password=form.cleaned_data["password1"],
                base_url=_site(request),
            )
        except HubError as exc:
            form_error(form, exc)
        else:
            return redirect("signup_sent")
    status = 400 if form.errors else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


def signup_sent(request: HttpRequest) -> HttpResponse:
    hours = settings.HUB_SIGNUP_LINK_SECONDS // 3600
    return render(request, "registration/signup_sent.html", {"hours": hours})


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the sign-up mail: a page naming the account it makes, and a button that
    makes it and logs in (a GET makes nothing, so a mail scanner following links cannot)."""
    pending = error = None
    try:
        if request.method == "POST":
            user = services.signup_confirm(token=token)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! Your account is ready.")
            return redirect("repo_create")
        pending = services.signup_read(token=token)
    except HubError as exc:
        error = exc.message
    context = {"pending": pending, "error": error}
    status = 400 if error else 200
    response = render(request, "registration/signup_confirm.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


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


def _site(request: HttpRequest) -> str:
    """The address links in mails start with: the one this request came to (a host the
    settings allow)."""
    return request.build_absolute_uri("/")


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. Every well-formed address gets the same answer, an account or
    not; requests are limited per client address and per e-mail address."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if throttling.mail_requests_limited(request, "password-reset", "ip", _asked(email)):
            return throttling.mail_limited_page(request, "password-reset requests")
        services.password_reset_request(email=email, base_url=_site(request))
        return redirect("password_reset_done")
    status = 400 if form.errors else 200
    return render(request, "registration/password_reset_form.html", {"form": form}, status=status)


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's view, but a link of an account banned or deactivated since it was sent is
    "not valid": a reset never opens a closed account."""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not user.is_active or user.is_banned:
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        throttling.login_pause_lift(self.user.username)
        # Whoever had the account may have made access tokens: a reset takes it back whole.
        token_service.tokens_revoke_all(user=self.user)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The public profile: display name, bio and links, shown on the user's page."""
    user = request.user
    initial = {name: getattr(user, name) for name in ProfileForm.base_fields}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=user, **form.cleaned_data)
        except HubError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("account_settings")
    status = 400 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask for a new address: a link goes there, and the address changes when it is followed."""
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if throttling.mail_requests_limited(request, "email-change", f"user:{request.user.pk}"):
            return throttling.mail_limited_page(request, "e-mail changes")
        try:
            email = services.email_change_request(
                user=request.user,
                new_email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                base_url=_site(request),
            )
        except HubError as exc:
            form_error(form, exc)
        else:
            hours = settings.HUB_EMAIL_CHANGE_SECONDS // 3600
            messages.success(
                request,
                f"We sent a link to {email}. Your address changes when you follow it "
                f"(within {hours} hours); until then it stays as it is.",
            )
            return redirect("email_change")
    status = 400 if form.errors else 200
    return render(request, "accounts/email.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the mail: a page that says which address it sets, and a button that
    sets it (a GET changes nothing, so a mail scanner following links cannot)."""
    new_email = error = None
    try:
        if request.method == "POST":
            _, new_email = services.email_change_confirm(
                user=request.user, token=token, base_url=_site(request)
            )
            messages.success(request, f"Your e-mail address is now {new_email}.")
            return redirect("email_change")
        new_email = services.email_change_read(user=request.user, token=token)
    except HubError as exc:
        error = exc.message
    context = {"new_email": new_email, "error": error}
    response = render(request, "accounts/email_confirm.html", context, status=400 if error else 200)
    response["Cache-Control"] = "no-store"
    return response
