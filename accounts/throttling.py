"""Throttling of log-ins (django-axes), sign-ups and account mails (django-ratelimit): the
hooks they call. Both take the client's address from `hub.clientip.client_ip`."""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import is_ratelimited


def username_of(request: HttpRequest, credentials: dict | None) -> str:
    """The account a log-in attempt is for, as accounts are named: case-insensitively, so
    "Alice" and "alice" count against the same account."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower()


class LoginThrottle(AxesDatabaseHandler):
    """django-axes' database handler with a limit for each thing it counts (LOGIN_THROTTLES,
    in the order of AXES_LOCKOUT_PARAMETERS): one account from one address, one account from
    anywhere, one address for any account.

    The first and the last refuse outright. The account-wide count is there against guessing
    from many addresses, but strangers must not be able to keep an account's owner out with it:
    past its limit it refuses only the addresses that have themselves failed at that account
    in the cool-off time. An address with a clean record for the account still has its
    password checked, so the owner logs in as usual, while a guesser gets one try an address
    (instead of HUB_LOGIN_FAILURE_LIMIT) until the account has been quiet for the cool-off.

    axes compares one number with one limit, so the failures are reported as that limit when
    a count refuses, and below it when none does. Attempts that are refused are not recorded
    (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off): they neither count nor extend a pause,
    and a right password sent during one is not stored as a failure."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        attempts = self.get_user_attempts(request, credentials)
        pair, account, address = (
            found.aggregate(total=Sum("failures_since_start"))["total"] or 0 for found in attempts
        )
        (_, pair_limit), (_, account_limit), (_, address_limit) = settings.LOGIN_THROTTLES
        if pair >= pair_limit or address >= address_limit or (account >= account_limit and pair):
            return settings.AXES_FAILURE_LIMIT
        return min(pair, settings.AXES_FAILURE_LIMIT - 1)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful log-in: clear the account's failures from this address only.
        (axes would clear everything counted with the request, the address's failures for
        other accounts too; and clearing the account's failures from everywhere would hand
        the addresses guessing at it a fresh allowance each time its owner logs in.)"""
        username = username_of(request, credentials)
        found = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address)
        count, _ = found.delete()
        return count


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a log-in attempt while the account or the address is paused: 429, saying
    when to come back (not which count was reached)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {
        "pair_limit": settings.HUB_LOGIN_FAILURE_LIMIT,
        "account_limit": settings.HUB_LOGIN_ACCOUNT_FAILURE_LIMIT,
        "address_limit": settings.HUB_LOGIN_ADDRESS_FAILURE_LIMIT,
        "minutes": minutes,
        "until": timezone.now() + settings.AXES_COOLOFF_TIME,
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def mail_requests_limited(request: HttpRequest, group: str, *subjects: str) -> bool:
    """Count a request that sends an account mail against each of `subjects` ("ip": the
    client's address, as for sign-ups; or any text: an account, a hash of the e-mail address
    asked about); True when one of them has passed HUB_ACCOUNT_MAILS_PER_HOUR. Every subject is
    counted whether an account goes with it or not, so a refusal tells nothing about who has
    an account."""
    rate = f"{settings.HUB_ACCOUNT_MAILS_PER_HOUR}/h"
    limited = False
    for subject in subjects:
        key = subject if subject == "ip" else (lambda group, req, subject=subject: subject)
        limited |= is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
    return limited


def mail_limited_page(request: HttpRequest, what: str) -> HttpResponse:
    """The answer past that limit: 429, saying when to come back."""
    context = {"what": what, "per_hour": settings.HUB_ACCOUNT_MAILS_PER_HOUR}
    response = render(request, "accounts/mail_limited.html", context, status=429)
    response["Retry-After"] = "3600"
    return response


def login_pause_lift(username: str) -> None:
    """Clear the failed log-ins counted against an account (not against addresses): after a
    password reset, whoever proved they hold the mailbox logs in with the new password at once."""
    axes_reset(username=username.strip().lower())  # as username_of counts them
