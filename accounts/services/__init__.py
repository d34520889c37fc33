"""Writes on accounts: sign-ups, the public profile, e-mail changes and password-reset
requests, and the mails they send (from the worker: `accounts/tasks.py`). Access tokens live in
`accounts/tokens.py`."""

from accounts.services.mails import (
    email_change_confirm,
    email_change_mail_send,
    email_change_read,
    email_change_request,
    email_changed_notice_send,
    password_reset_mail_send,
    password_reset_request,
)
from accounts.services.profile import profile_update
from accounts.services.signup import (
    signup_confirm,
    signup_mail_send,
    signup_read,
    signup_request,
)

__all__ = [
    "email_change_confirm",
    "email_change_mail_send",
    "email_change_read",
    "email_change_request",
    "email_changed_notice_send",
    "password_reset_mail_send",
    "password_reset_request",
    "profile_update",
    "signup_confirm",
    "signup_mail_send",
    "signup_read",
    "signup_request",
]
