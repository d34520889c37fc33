"""Response headers the hub adds to every page (Content-Security-Policy comes from django-csp,
Referrer-Policy from Django's SecurityMiddleware)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PermissionsPolicyMiddleware:
    """Permissions-Policy: turns off for the page and any frame the browser features listed
    in `settings.PERMISSIONS_POLICY` (camera, microphone, geolocation…)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.value = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
