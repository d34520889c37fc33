"""The settings of the account mails (sign-ups, password resets, e-mail changes), read from the
environment like the rest and star-imported by `hub.settings` (kept apart only for its size).

SMTP by default; `scripts/run` sets the console backend (mails printed into the worker's log)
and `scripts/serve` refuses to start without EMAIL_HOST and DEFAULT_FROM_EMAIL. The mails are
sent by the Celery worker (`accounts/tasks.py`).
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_str

# Account mails (django-ratelimit): password-reset requests one address may make in an hour,
# and that may name one e-mail address; e-mail changes one account may ask for in an hour.
HUB_ACCOUNT_MAILS_PER_HOUR = env_int("HUB_ACCOUNT_MAILS_PER_HOUR", 5)
# How long a password-reset link works (Django's setting), and an e-mail change's link.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
HUB_EMAIL_CHANGE_SECONDS = env_int("HUB_EMAIL_CHANGE_SECONDS", 24 * 3600)
# How long the link that finishes a sign-up works (the account is made when it is followed).
HUB_SIGNUP_LINK_SECONDS = env_int("HUB_SIGNUP_LINK_SECONDS", 24 * 3600)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start, usually port 465
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS, usually port 587
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
if not EMAIL_HOST_PASSWORD and env_str("EMAIL_HOST_PASSWORD_FILE"):
    _lines = Path(env_str("EMAIL_HOST_PASSWORD_FILE")).read_text().splitlines()
    EMAIL_HOST_PASSWORD = _lines[0].strip() if _lines else ""
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS (STARTTLS, port 587) and EMAIL_USE_SSL (port 465) exclude each other: "
        "set one of them to false."
    )
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None  # the file backend's folder
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Model Hub <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[Model Hub] "

__all__ = [name for name in dir() if name.isupper()]
