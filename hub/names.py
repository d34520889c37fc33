"""Rules for names that appear in URLs: user names and repository names."""

import re

from django.core.exceptions import ValidationError

# Path segments the site itself uses at the top level or under a repository. A user or a
# repository with one of these names would shadow a page of the site.
RESERVED_NAMES = frozenset(
    [
        "about",
        "accounts",
        "admin",
        "api",
        "blob",
        "blobs",
        "docs",
        "edit",
        "explore",
        "favicon.ico",
        "health",
        "healthz",
        "help",
        "inference",
        "jobs",
        "login",
        "logout",
        "markdownx",
        "media",
        "models",
        "new",
        "organizations",
        "orgs",
        "releases",
        "resolve",
        "robots.txt",
        "search",
        "security",
        "settings",
        "signup",
        "static",
        "tree",
        "user",
        "users",
    ]
)

NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def validate_url_name(value: str, *, kind: str, max_length: int) -> None:
    """Refuse names that do not fit in a URL segment or that collide with the site's URLs."""
    if not value:
        raise ValidationError(f"Enter a {kind}.", code="required")
    if len(value) > max_length:
        raise ValidationError(
            f"A {kind} has at most {max_length} characters (this one has {len(value)}).",
            code="max_length",
        )
    if not NAME_RE.match(value):
        raise ValidationError(
            f"A {kind} uses only letters, digits, '-', '_' and '.', "
            "and starts and ends with a letter or digit.",
            code="invalid",
        )
    if value.lower() in RESERVED_NAMES:
        raise ValidationError(
            f"“{value}” is reserved by the site; choose another {kind}.", code="reserved"
        )
