"""Sign-up: the request (in the web process), the mail it sends (in the worker) and the
confirmation that makes the account.

The request records the sign-up (name, address, hashed password) and queues the mail, the
same work whatever the address; the worker then looks the address up. A free address gets a
link that makes the account; an address an account uses gets a notice instead (its owner
learns that someone tried, and how to get back in). So the page, and the time it takes, say
nothing about who has an account, as for password resets.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import PendingSignup, User
from accounts.services.mails import clean_email, mail_send, site_link
from hub.errors import Conflict, Invalid
from hub.queue import send_on_commit

log = logging.getLogger(__name__)

SIGNUP_SALT = "accounts.signup"
LINK_DOES_NOT_WORK = "It was used already, or it is too old: sign up again, or log in."


def signup_request(*, username: str, email: str, password: str, base_url: str) -> PendingSignup:
    """Record a sign-up (its name and password already checked by the form) and queue the mail
    to its address. Expired sign-ups are dropped here."""
    from accounts import tasks

    max_age = timedelta(seconds=settings.HUB_SIGNUP_LINK_SECONDS)
    PendingSignup.objects.filter(created_at__lt=timezone.now() - max_age).delete()
    pending = PendingSignup.objects.create(
        username=username, email=clean_email(email), password=make_password(password)
    )
    send_on_commit(tasks.send_signup, pending.pk, base_url)
    log.info("signup requested signup=%s", pending.pk)
    return pending


def signup_mail_send(*, signup_id: int, base_url: str) -> None:
    """The link that makes the account, to the sign-up's address; or, when an account uses
    that address, a notice to it instead (and the sign-up is dropped)."""
    pending = PendingSignup.objects.filter(pk=signup_id).first()
    if pending is None:
        return
    owner = User.objects.filter(email__iexact=pending.email).first()
    if owner is not None:
        context = {"user": owner, "email": pending.email, "login": site_link(base_url, "login")}
        context["reset"] = site_link(base_url, "password_reset")
        mail_send("signup_taken", to=pending.email, context=context)
        pending.delete()
        log.info("signup to a used address signup=%s", signup_id)
        return
    token = signing.dumps({"signup": pending.pk}, salt=SIGNUP_SALT)
    context = {
        "username": pending.username,
        "link": site_link(base_url, "signup_confirm", token=token),
        "hours": settings.HUB_SIGNUP_LINK_SECONDS // 3600,
    }
    mail_send("signup", to=pending.email, context=context)
    log.info("signup link mailed signup=%s", signup_id)


def signup_read(*, token: str) -> PendingSignup:
    """The sign-up a link confirms, or Invalid saying why it cannot."""
    try:
        payload = signing.loads(token, salt=SIGNUP_SALT, max_age=settings.HUB_SIGNUP_LINK_SECONDS)
    except signing.SignatureExpired:
        raise Invalid("This link has expired. Sign up again to get a new one.") from None
    except signing.BadSignature:
        raise Invalid("This link is not valid: copy the whole link from the mail.") from None
    pending = PendingSignup.objects.filter(pk=payload.get("signup")).first()
    if pending is None:
        raise Invalid(LINK_DOES_NOT_WORK)
    return pending


def signup_confirm(*, token: str) -> User:
    """Make the account of a sign-up from its link: once, and only while its name and its
    address are still free."""
    with transaction.atomic():
        pending = signup_read(token=token)
        pending = PendingSignup.objects.select_for_update().filter(pk=pending.pk).first()
        if pending is None:  # confirmed by another request just now
            raise Invalid(LINK_DOES_NOT_WORK)
        if User.objects.filter(username__iexact=pending.username).exists():
            raise Conflict(
                f"The user name {pending.username} was taken since you signed up: "
                "sign up again with another."
            )
        address_taken = Conflict("An account uses this address now: log in, or reset its password.")
        if User.objects.filter(email__iexact=pending.email).exists():
            raise address_taken
        user = User(username=pending.username, email=pending.email, password=pending.password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the name or the address taken at this very moment
            raise Conflict(
                "The user name or the address was taken just now: sign up again."
            ) from None
        PendingSignup.objects.filter(email__iexact=pending.email).delete()
    log.info("signup confirmed user=%s", user.pk)
    return user
