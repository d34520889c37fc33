"""The hub's public JSON API, `/api/v1/`: a front door like the pages, with an OpenAPI 3
schema and its documentation page (`/api/v1/docs`, served by the hub).

Built with django-ninja: typed schemas in, typed answers out. Every endpoint calls the same
selectors and services as the pages, under the same access policy; `hub.errors` become
RFC 9457 problems in one handler. Callers authenticate with a personal access token
(`Authorization: Bearer`, see accounts/tokens.py) or, from the hub's own pages, the session
(with CSRF on writes). The upload endpoints the browser uses are mounted here too
(releases/views/api.py), with the same rules and answers.
"""

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hub.api import UnicodeParser, failure_response, problem
from hub.errors import HubError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenOrSession:
    """Ninja's authentication for writes: the token's user (set by TokenMiddleware), or the
    session's user after the CSRF check a cookie needs."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        if getattr(request, "auth_token", None) is not None:
            return request.user
        if not request.user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS:
            refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if refused is not None:
                return None
        return request.user


api = NinjaAPI(
    title="Model Hub API",
    version="1",
    description=(
        "Repositories, releases and files of the Model Hub. Send a personal access token "
        "(made on /accounts/tokens/) as `Authorization: Bearer <token>`. Errors are RFC 9457 "
        "problem details."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    parser=UnicodeParser(),
)


@api.exception_handler(HubError)
@api.exception_handler(OSError)  # a full disk: 503, nothing saved (the other doors' answer)
def _failure(request, exc: HubError | OSError):
    return failure_response(request, exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem(
        401,
        "Authenticate with a personal access token: Authorization: Bearer <token>.",
        headers={"WWW-Authenticate": 'Bearer realm="hub"'},
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(str(p) for p in first.get("loc", []) if p not in ("body", "query", "path"))
    detail = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")
    errors = [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return problem(422, f"The request is not valid: {detail}.", errors=errors)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(exc.status_code, str(exc))


from releases.api_v1 import repositories  # noqa: E402  (routes register on import)

__all__ = ["api", "repositories"]
