"""The account mails, sent by the worker: a slow or failing mail server never holds a page,
and the time a request takes does not tell whether an account exists. Tasks take ids or the
address asked about (and the site's address, for links) and call a service."""

from celery import shared_task

from accounts import services

MAIL_TASK = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (OSError,),  # the mail server away or refusing (SMTPException)
    "retry_backoff": True,
    "max_retries": 6,
}


@shared_task(**MAIL_TASK)
def send_password_reset(email: str, base_url: str) -> None:
    """Mail the accounts with this address a password-reset link (none when no account has
    it: the look-up is done here, not in the request)."""
    services.password_reset_mail_send(email=email, base_url=base_url)


@shared_task(**MAIL_TASK)
def send_email_change(user_id: int, new_email: str, base_url: str) -> None:
    """Mail the new address the link that confirms it."""
    services.email_change_mail_send(user_id=user_id, new_email=new_email, base_url=base_url)


@shared_task(**MAIL_TASK)
def send_email_changed_notice(user_id: int, old_email: str, base_url: str) -> None:
    """Tell the old address that the account's address changed."""
    services.email_changed_notice_send(user_id=user_id, old_email=old_email, base_url=base_url)


@shared_task(**MAIL_TASK)
def send_signup(signup_id: int, base_url: str) -> None:
    """Mail a sign-up's address the link that makes the account (or, when an account uses the
    address, a notice: the look-up is done here, not in the request)."""
    services.signup_mail_send(signup_id=signup_id, base_url=base_url)
