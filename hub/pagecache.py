"""Whole pages cached for anonymous visitors: `@anonymous_page_cache(version)` on a view.

Anonymous visitors all see the same page for the same URL, so a rendered page is kept in the
cache and served again, for at most `settings.HUB_PAGE_CACHE_SECONDS`. What makes it safe:

- Only a visitor without an account and without state is served from the cache or has a page
  stored for them: a GET or HEAD, no user (no session, no API token), and no session or
  messages cookie (so no flash message and nothing of their own can be on the page).
- A page is stored only when nothing of this visitor went into it: a 200 HTML page, no
  cookie set, nothing written to the session, no CSRF token rendered (a form would carry
  it), no message queued. Anything else is answered afresh and not stored.
- The key holds the scheme, the host and the full path with its query, plus `version`: what
  the view says its page depends on, asked on every request (a repository page looks the
  repository up as the visitor, so a repository that became private, hidden or deleted is
  a 404 at once, and any change of its row, a new file or release included, since these
  touch its `updated_at`, is a new key). Nothing is ever invalidated; entries expire.
- Only the body and its Content-Type are stored; the middleware adds every other header
  (CSP, Vary, security headers) to each answer as it does for any page.

What `version` does not cover is at most HUB_PAGE_CACHE_SECONDS old (a "3 minutes ago" on
a card, say). With HUB_PAGE_CACHE_SECONDS=0 nothing is cached.
"""

import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

STORED_TYPES = ("text/html",)
# A page larger than this is answered afresh each time rather than kept: the cache is the
# task broker's Redis too. (Rendered Markdown is at most 1 MiB: hub.markdown.)
MAX_STORED_BYTES = 2 * 1024 * 1024


def _anonymous_and_stateless(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _nothing_of_the_visitor(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not response.get("Content-Type", "").startswith(STORED_TYPES):
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # a CSRF token was rendered
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:  # (read it is, for request.user: empty)
        return False
    messages = getattr(request, "_messages", None)
    return not getattr(messages, "_queued_messages", None)


def anonymous_page_cache(version: Callable[..., object] | None = None):
    """Serve the view's page from the cache to anonymous visitors (see the module).

    `version(request, *args, **kwargs)` returns what the page depends on beyond its URL
    (anything with a stable repr); it may raise what the view would (a 404, a redirect).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            seconds = settings.HUB_PAGE_CACHE_SECONDS
            if seconds <= 0 or not _anonymous_and_stateless(request):
                return view(request, *args, **kwargs)
            depends = version(request, *args, **kwargs) if version is not None else None
            shown = (request.scheme, request.get_host(), request.get_full_path(), depends)
            key = "page:" + hashlib.sha256(repr(shown).encode()).hexdigest()
            stored = cache.get(key)
            if stored is not None:
                content_type, body = stored
                return HttpResponse(body, content_type=content_type)
            response = view(request, *args, **kwargs)
            if (
                _nothing_of_the_visitor(request, response)
                and len(response.content) <= MAX_STORED_BYTES
            ):
                cache.set(key, (response["Content-Type"], response.content), seconds)
            return response

        return wrapped

    return decorator
