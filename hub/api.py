"""The JSON API front door's one mapping of domain errors to answers.

`json_api` wraps a view: signed-out callers get 401, `hub.errors` exceptions become
`{"error": message, …details}` with the status their class has here, a storage failure 503
(nothing was saved), and the body helpers refuse what is not JSON. Details that are model
objects are written with their `as_json()`.

`failure_response` is that mapping, the one every JSON door uses (this module's `json_api`,
`/api/v1`'s exception handlers, huggingface_hub's `_mapped`): a full or unreachable disk is
a 503 problem whichever door the bytes came in by.
"""

import functools
import json
import logging
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as default_csrf_failure
from ninja.parser import Parser

from hub.errors import (
    Blocked,
    Conflict,
    HubError,
    Invalid,
    LimitReached,
    Moved,
    NotFound,
    Refused,
    TooLarge,
    Unavailable,
)

log = logging.getLogger(__name__)

STATUS = {
    TooLarge: 413,
    Invalid: 400,
    LimitReached: 400,
    Refused: 403,
    Blocked: 403,
    NotFound: 404,
    Moved: 404,  # an API client names things by their current name
    Conflict: 409,
    Unavailable: 503,
}
STORAGE_DOWN = (
    "The file storage is unavailable or full; nothing was saved. "
    "Try again later: the upload resumes where it stopped."
)


def problem(status: int, detail: str, *, headers: dict | None = None, **extra) -> JsonResponse:
    """An RFC 9457 problem: type, title, status, detail, and members of its own (`extra`).
    `error` repeats the detail for the uploader and other clients of the hub's first JSON."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "error": detail,
        **extra,
    }
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: HubError) -> JsonResponse:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    detail = exc.message if not isinstance(exc, Moved) else "Not found."
    extra = {
        key: value.as_json() if hasattr(value, "as_json") else value
        for key, value in exc.details.items()
    }
    return problem(status, detail, **extra)


def storage_failure(request: HttpRequest, exc: OSError) -> JsonResponse:
    """A storage write or read that failed (a full disk: ENOSPC, a quota: EDQUOT, storage out of
    reach). The service's transaction rolled back and its staged bytes were dropped: nothing
    was saved, nothing was counted, and the client may try again."""
    log.error("storage error path=%s errno=%s error=%s", request.path, exc.errno, exc)
    return problem(503, STORAGE_DOWN, headers={"Retry-After": "60"})


def failure_response(request: HttpRequest, exc: Exception) -> JsonResponse:
    """The JSON doors' answer to what a view raised: a domain error's problem, or 503 for a
    storage failure. Anything else is a fault of the hub and rises."""
    if isinstance(exc, HubError):
        return error_response(exc)
    if isinstance(exc, OSError):
        return storage_failure(request, exc)
    raise exc


def json_api(*, signed_out: str = "Sign in first."):
    """Decorator for a JSON view; `signed_out` is the 401 message."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
            if not request.user.is_authenticated:
                return problem(401, signed_out, headers={"WWW-Authenticate": 'Bearer realm="hub"'})
            try:
                return view(request, *args, **kwargs)
            except (HubError, OSError) as exc:
                return failure_response(request, exc)

        return wrapper

    return decorate


NOT_UNICODE = "The request holds text that is not Unicode (a lone surrogate such as \\ud800)."


def json_loads(data: bytes | str):
    """`json.loads`, refusing text that is not Unicode: JSON may escape a lone surrogate
    ("\\ud800"), which Python parses but nothing can store, encode or render. For bodies that
    are one thing, taken or refused whole (a huggingface_hub commit, /api/v1's JSON). Raises
    ValueError for what is not JSON, Invalid for such text."""
    value = json.loads(data)
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(NOT_UNICODE) from None
    return value


class UnicodeParser(Parser):
    """django-ninja's body parser with `json_loads`: a lone surrogate is a 400, not a 500."""

    def parse_body(self, request: HttpRequest):
        return json_loads(request.body)


def json_body(request: HttpRequest, *, expect: type | None = None, hint: str = ""):
    """The request's JSON body (of type `expect` when given); raises Invalid otherwise."""
    try:
        # Plain json.loads: a lone surrogate in one file's path of a plan is that file's
        # "invalid" answer, not the whole request's; text that reaches the renderer or the
        # database is checked where it is used.
        body = json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise TooLarge("The request is too large: send fewer files at once.") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("The request body is not valid JSON.") from None
    if expect is not None and not isinstance(body, expect):
        raise Invalid(hint or "The request body has the wrong shape.")
    return body


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF refusals: JSON under /api/ like every other API error, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return problem(403, "The request lacks a valid CSRF token: reload the page and try again.")
    return default_csrf_failure(request, reason=reason)
