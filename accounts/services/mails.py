"""Password resets and e-mail changes: the requests (in the web process) and the mails they
send (in the worker, from ids: a reset's token is made there and never crosses the broker).

Neither answer tells who has an account: a reset request is answered the same for every
address, and an e-mail change to an address another account uses gets, at that address, a
note saying so instead of a link.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from hub.errors import Conflict, Invalid
from hub.queue import send_on_commit

log = logging.getLogger(__name__)

EMAIL_CHANGE_SALT = "accounts.email-change"


def mail_send(template: str, *, to: str, context: dict) -> None:
    """Render `accounts/mail/<template>_subject.txt` and `_body.txt` and send them to `to`."""
    context = {**context, "site_name": "Model Hub"}
    subject = " ".join(render_to_string(f"accounts/mail/{template}_subject.txt", context).split())
    body = render_to_string(f"accounts/mail/{template}_body.txt", context)
    EmailMessage(settings.EMAIL_SUBJECT_PREFIX + subject, body, to=[to]).send()


def site_link(base_url: str, view: str, **kwargs) -> str:
    return base_url.rstrip("/") + reverse(view, kwargs=kwargs)


def _fingerprint(email: str) -> str:
    # What an e-mail change link knows of the address it replaces: enough to tell that it
    # changed since, without writing the address into the link.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


# Password reset


def password_reset_request(*, email: str, base_url: str) -> None:
    """Queue the look-up and the mails: a request does the same work whether an account has
    the address or not, so neither its answer nor its time tells."""
    from accounts import tasks

    send_on_commit(tasks.send_password_reset, email, base_url)


def password_reset_mail_send(*, email: str, base_url: str) -> None:
    """Mail each active, unbanned account with this address (Django's own look-up:
    case-insensitive, usable password) a link to set a new password (valid
    PASSWORD_RESET_TIMEOUT seconds, and only until the password or the address changes)."""
    for user in PasswordResetForm().get_users(email):
        if not user.is_banned:
            _reset_mail(user, base_url)


def _reset_mail(user: User, base_url: str) -> None:
    link = site_link(
        base_url,
        "password_reset_confirm",
        uidb64=urlsafe_base64_encode(force_bytes(user.pk)),
        token=default_token_generator.make_token(user),
    )
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    mail_send(
        "password_reset", to=user.email, context={"user": user, "link": link, "minutes": minutes}
    )
    log.info("password reset mailed user=%s", user.pk)


# E-mail change


def clean_email(value: str) -> str:
    email = User.objects.normalize_email((value or "").strip())
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid("Enter a valid e-mail address.", field="email") from None
    if len(email) > 254:
        raise Invalid("That address is too long.", field="email")
    return email


def email_change_request(*, user: User, new_email: str, password: str, base_url: str) -> str:
    """Mail a link that makes `new_email` the user's address to that address, once the user's
    password is right. Returns the address, cleaned."""
    email = clean_email(new_email)
    if not user.check_password(password or ""):
        raise Invalid("That is not your current password.", field="password")
    if email.lower() == (user.email or "").lower():
        raise Invalid("That is your address already.", field="email")
    from accounts import tasks

    send_on_commit(tasks.send_email_change, user.pk, email, base_url)
    log.info("email change requested user=%s", user.pk)
    return email


def email_change_mail_send(*, user_id: int, new_email: str, base_url: str) -> None:
    """The confirmation link, to the new address; or, when another account uses that address,
    a note saying so (to the same address, so the requester learns nothing)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    context = {"user": user, "email": new_email}
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        mail_send("email_taken", to=new_email, context=context)
        log.info("email change to a used address user=%s", user.pk)
        return
    payload = {"user": user.pk, "from": _fingerprint(user.email or ""), "to": new_email}
    token = signing.dumps(payload, salt=EMAIL_CHANGE_SALT, compress=True)
    context["link"] = site_link(base_url, "email_change_confirm", token=token)
    context["hours"] = settings.HUB_EMAIL_CHANGE_SECONDS // 3600
    mail_send("email_change", to=new_email, context=context)
    log.info("email change link mailed user=%s", user.pk)


def email_change_read(*, user: User, token: str) -> str:
    """The address a link would give the user, or Invalid saying why it cannot."""
    try:
        payload = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.HUB_EMAIL_CHANGE_SECONDS
        )
    except signing.SignatureExpired:
        raise Invalid("This link has expired. Ask for a new one below.") from None
    except signing.BadSignature:
        raise Invalid("This link is not valid: copy the whole link from the mail.") from None
    if payload.get("user") != user.pk:
        raise Invalid(
            "This link was sent for another account: log out and log in as that account to "
            "confirm it."
        )
    if payload.get("from") != _fingerprint(user.email or ""):
        raise Invalid("This link was used already, or your address changed since it was sent.")
    return payload["to"]


def email_change_confirm(*, user: User, token: str, base_url: str) -> tuple[str, str]:
    """Make the link's address the user's own; the old address gets a notice. Returns
    (old, new). Only the account the link was made for, and only once."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        new_email = email_change_read(user=locked, token=token)
        taken = Conflict("Another account uses this address now; choose another.")
        if User.objects.filter(email__iexact=new_email).exclude(pk=locked.pk).exists():
            raise taken
        old_email, locked.email = locked.email, new_email
        try:
            with transaction.atomic():
                locked.save(update_fields=["email"])
        except IntegrityError:  # taken by an account made at this very moment
            raise taken from None
        if old_email:
            from accounts import tasks

            send_on_commit(tasks.send_email_changed_notice, locked.pk, old_email, base_url)
    user.email = new_email
    log.info("email changed user=%s", user.pk)
    return old_email, new_email


def email_changed_notice_send(*, user_id: int, old_email: str, base_url: str) -> None:
    """Tell the old address that the account's address changed, and what to do if that was
    not its owner."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    mail_send("email_changed", to=old_email, context={"user": user, "email": user.email})
