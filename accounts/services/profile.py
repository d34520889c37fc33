"""The public profile: display name, bio and links, cleaned and checked in one place."""

import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from accounts.models import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, User
from hub.errors import Invalid

log = logging.getLogger(__name__)

URL_MAX_LENGTH = 200  # the URLField's column
# A GitHub or X account name, with or without its "@".
HANDLE = re.compile(r"@?([A-Za-z0-9_][A-Za-z0-9_-]{0,38})")
_web_address = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class LinkKind:
    label: str
    hosts: frozenset[str] = frozenset()  # empty: any site
    profile_prefix: str = ""  # where a bare account name leads
    example: str = "https://example.com"


LINKS = {
    "website_url": LinkKind("Website"),
    "github_url": LinkKind(
        "GitHub", frozenset({"github.com"}), "https://github.com/", "https://github.com/octocat"
    ),
    "x_url": LinkKind(
        "X", frozenset({"x.com", "twitter.com"}), "https://x.com/", "https://x.com/opengradient"
    ),
}


def _invisible(char: str) -> bool:
    # Control, format (bidirectional overrides, zero-width) and unassigned characters: they
    # hide or reorder what others read.
    return unicodedata.category(char) in ("Cc", "Cf", "Cn", "Co", "Cs")


def clean_display_name(value: str) -> str:
    name = " ".join((value or "").split())
    if any(_invisible(char) for char in name):
        raise Invalid("The display name may not hold control characters.", field="display_name")
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise Invalid(
            f"Keep the display name to {DISPLAY_NAME_MAX_LENGTH} characters (it has {len(name)}).",
            field="display_name",
        )
    return name


def clean_bio(value: str) -> str:
    lines = [" ".join(line.split()) for line in (value or "").replace("\r\n", "\n").split("\n")]
    bio = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if any(_invisible(char) for char in bio.replace("\n", "")):
        raise Invalid("The bio may not hold control characters.", field="bio")
    if len(bio) > BIO_MAX_LENGTH:
        raise Invalid(
            f"Keep the bio to {BIO_MAX_LENGTH} characters (it has {len(bio)}).", field="bio"
        )
    return bio


def clean_link(field: str, value: str) -> str:
    """A link of the profile as an http(s) address; a bare account name for GitHub and X."""
    kind = LINKS[field]
    url = (value or "").strip()
    if not url:
        return ""
    if kind.profile_prefix and (handle := HANDLE.fullmatch(url)):
        url = kind.profile_prefix + handle.group(1)
    elif "://" not in url:
        url = "https://" + url
    wanted = f"Enter a web address like {kind.example}"
    if kind.profile_prefix:
        wanted += " or just your account name"
    try:
        _web_address(url)
    except ValidationError:
        raise Invalid(f"That is not a web address. {wanted}.", field=field) from None
    if len(url) > URL_MAX_LENGTH:
        raise Invalid(f"Keep the address to {URL_MAX_LENGTH} characters.", field=field)
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    if kind.hosts and (host not in kind.hosts or parts.path.strip("/") == ""):
        raise Invalid(f"That is not a profile on {kind.label}. {wanted}.", field=field)
    return url


def profile_update(
    *,
    user: User,
    display_name: str = "",
    bio: str = "",
    website_url: str = "",
    github_url: str = "",
    x_url: str = "",
) -> User:
    """Set the user's public profile: every field cleaned and checked first (Invalid, naming
    the field, for the first that is wrong), then saved together."""
    values = {
        "display_name": clean_display_name(display_name),
        "bio": clean_bio(bio),
        "website_url": clean_link("website_url", website_url),
        "github_url": clean_link("github_url", github_url),
        "x_url": clean_link("x_url", x_url),
    }
    for name, value in values.items():
        setattr(user, name, value)
    user.save(update_fields=list(values))
    log.info("profile updated user=%s", user.pk)
    return user
