"""Personal access tokens: making, revoking and recognising them.

A token is `hub_` and 40 random URL-safe characters (240 bits). It is stored as its sha256
only: tokens are random, so a plain digest is enough to make a leaked table useless, and the
look-up is one indexed query. `TokenMiddleware` turns `Authorization: Bearer <token>` into
`request.user` and `request.auth_token` on the API doors and the downloads their clients
follow (`token_door`); every other page (account settings, the admin, the site's forms) takes
a signed-in session only, and answers a token with 403.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone
from django_ratelimit.core import is_ratelimited

from accounts.models import AccessToken, TokenScope, User
from hub.api import problem
from hub.errors import Invalid, NotFound

log = logging.getLogger(__name__)

PREFIX = "hub_"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often
# The doors outside /api/ that scripts use with a token: downloads by path (huggingface_hub's
# `resolve`, the "Use this model" curl snippets), by Blob ID and as a zip; huggingface_hub's
# LFS batch at the git remote's address; the IPFS gateway (public content only, whoever asks).
TOKEN_ROUTES_OUTSIDE_API = frozenset(
    {"resolve", "resolve_revision", "resolve_latest", "blob_download", "release_zip"}
    | {"hf_lfs_batch", "ipfs_gateway"}
)
PAGE_REFUSES_TOKENS = (
    "Access tokens open the API (/api/…) and downloads only; this page needs you to log in "
    "in a browser."
)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *, user: User, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[AccessToken, str]:
    """A new token for `user`; returns it and its text, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise Invalid("Give the token a name, so you know later what uses it.", field="name")
    if scope not in TokenScope.values:
        raise Invalid("Choose the read or the write scope.", field="scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid("The expiry must be in the future.", field="expires_at")
    raw = PREFIX + secrets.token_urlsafe(30)
    token = AccessToken.objects.create(
        user=user,
        name=name[:100],
        scope=scope,
        prefix=raw[: len(PREFIX) + 6],
        digest=_digest(raw),
        expires_at=expires_at,
    )
    log.info("token created user=%s token=%s scope=%s", user.pk, token.pk, scope)
    return token, raw


def token_revoke(*, user: User, token_id: int) -> AccessToken:
    """Revoke one of the user's tokens at once; NotFound for anyone else's."""
    with transaction.atomic():
        token = AccessToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise NotFound("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    log.info("token revoked user=%s token=%s", user.pk, token.pk)
    return token


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of the user (a password reset: whoever had the account may
    have made some). Returns how many were live."""
    count = AccessToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    log.info("tokens revoked user=%s count=%s", user.pk, count)
    return count


def tokens_of(user: User):
    return AccessToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")


def token_authenticate(raw: str) -> AccessToken | None:
    """The live token with this text (its user active, not revoked, not expired), or None."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = AccessToken.objects.select_related("user").filter(digest=_digest(raw)).first()
    now = timezone.now()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.is_active  # banned or deactivated: refused at once
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_door(path: str) -> bool:
    """Whether a token may act at `path`: every route under /api/ and the downloads named in
    TOKEN_ROUTES_OUTSIDE_API. The one rule for where tokens work: account pages (tokens,
    password, e-mail, profile), the admin and every other page need a session, so a leaked
    token can neither mint tokens, change the password, nor act as staff."""
    try:
        match = resolve(path)
    except Resolver404:
        return path.startswith("/api/")  # a mistyped API address gets the API's own 404
    return match.route.startswith("api/") or match.url_name in TOKEN_ROUTES_OUTSIDE_API


class TokenMiddleware:
    """`Authorization: Bearer <token>` on a token door (`token_door`): the request acts as the
    token's user. Such requests carry no cookies to forge, so they skip the CSRF check;
    session requests keep it. A read token cannot change anything; every token is rate
    limited. A token sent anywhere else is refused (403) before it is even looked up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.auth_token = None
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return self.get_response(request)
        if not token_door(request.path_info):
            return problem(403, PAGE_REFUSES_TOKENS)
        token = token_authenticate(header[7:].strip())
        if token is None:
            return problem(
                401,
                "The token is not valid: it may be mistyped, revoked or expired.",
                headers={"WWW-Authenticate": 'Bearer realm="hub", error="invalid_token"'},
            )
        if request.method not in SAFE_METHODS and not token.can_write:
            return problem(403, "This token may only read; make a write token.")
        limited = is_ratelimited(
            request,
            group="tokens",
            key=lambda group, req: f"token:{token.pk}",
            rate=f"{settings.HUB_TOKEN_REQUESTS_PER_MINUTE}/m",
            increment=True,
        )
        if limited:
            return problem(
                429,
                f"This token made more than {settings.HUB_TOKEN_REQUESTS_PER_MINUTE} requests "
                "in a minute; try again in a minute.",
                headers={"Retry-After": "60"},
            )
        request.user = token.user
        request.auth_token = token
        request._dont_enforce_csrf_checks = True
        return self.get_response(request)
