from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django_ratelimit.decorators import ratelimit

from accounts.forms import SignupForm


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
