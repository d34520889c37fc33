"""Domain errors: what services raise when they will not do what was asked.

Each carries a message written for the person who asked, and optional machine-readable
details. Services never speak HTTP: every front door maps these classes to its own answer in
one place (`hub.web` for pages, `hub.api` for the JSON API).
"""

from typing import Any


class HubError(Exception):
    """A request the hub will not carry out; nothing was changed."""

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(HubError):
    """The input is malformed or breaks a rule of its own (a name, a size, a digest)."""


class NotFound(HubError):
    """It does not exist, or the user may not know that it does: the two look the same."""


class Refused(HubError):
    """The user may see it but may not do this to it."""


class Conflict(HubError):
    """It clashes with what is there now (a path that holds other content, a name taken)."""


class Blocked(HubError):
    """The moderators removed this content from the hub."""


class LimitReached(HubError):
    """A limit of the hub (files a release holds, reports a day) would be passed."""


class TooLarge(LimitReached):
    """A limit on bytes: the request, or the space a user may take."""


class Unavailable(HubError):
    """Something the hub depends on (storage, the broker) is out of reach; try again later."""


class Moved(HubError):
    """It lives under another name now; `to` holds the URL arguments that changed."""

    def __init__(self, message: str = "Moved.", **to: str):
        super().__init__(message)
        self.to = to
