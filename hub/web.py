"""The page front door's one mapping of domain errors to HTTP answers.

Views let `hub.errors` exceptions rise; this middleware answers them the same way on every
page: NotFound and Refused become Django's 404 and 403 (the hub's own error pages), Moved a
permanent redirect to the same view under the new name, Blocked a 410 (a page saying so for
a browser, an RFC 9457 problem for scripts and download clients), and anything else a short
page with the message. A view that wants an error inside its form catches it
itself.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.defaults import permission_denied

from hub.api import problem
from hub.errors import (
    Blocked,
    Conflict,
    HubError,
    LimitReached,
    Moved,
    NotFound,
    Refused,
    Unavailable,
)

log = logging.getLogger(__name__)
PAGE_STATUS = {Conflict: 409, LimitReached: 400, Unavailable: 503}


def moved_url(request: HttpRequest, moved: Moved) -> str:
    """The URL of the view that answered `request`, with the arguments that moved."""
    match = request.resolver_match
    url = reverse(match.view_name, kwargs={**match.kwargs, **moved.to})
    if request.META.get("QUERY_STRING"):
        url = f"{url}?{request.META['QUERY_STRING']}"
    return url


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, HubError):
            return None
        if isinstance(exc, NotFound):
            raise Http404(exc.message)
        if isinstance(exc, Refused):
            # An answer, not a fault: one log line, no traceback.
            log.info("refused path=%s user=%s reason=%s", request.path, request.user.pk, exc)
            return permission_denied(request, PermissionDenied(exc.message))
        if isinstance(exc, Moved):
            url = moved_url(request, exc)
            if request.method in ("GET", "HEAD"):
                return HttpResponsePermanentRedirect(url)
            return HttpResponse(status=308, headers={"Location": url})
        if isinstance(exc, Blocked):
            return gone(request, exc)
        status = next((s for cls, s in PAGE_STATUS.items() if isinstance(exc, cls)), 400)
        return render(request, "error.html", {"message": exc.message}, status=status)


def gone(request: HttpRequest, exc: Blocked) -> HttpResponse:
    """410 for content the moderators removed. A browser (it asks for HTML) gets a page
    saying so, with its way back; anything else (curl, huggingface_hub, the CLI) a problem
    whose `detail` it prints. The site's download links are gone for such files, so the
    page is what someone following an old link sees."""
    if "text/html" not in request.headers.get("Accept", ""):
        return problem(410, exc.message)
    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    repo_url = (
        reverse("repo_detail", kwargs={"owner": kwargs["owner"], "name": kwargs["name"]})
        if {"owner", "name"} <= kwargs.keys()
        else ""
    )
    context = {"message": exc.message, "repo_url": repo_url}
    return render(request, "410.html", context, status=410)


def form_error(form, exc: HubError) -> None:
    """Show a service's refusal on the form, on its field when the form has that field."""
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, exc.message)
