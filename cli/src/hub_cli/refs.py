"""`OWNER/NAME[@vX.YY]`: a repository, and optionally one of its releases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub_cli.client import USAGE, Client, HubError, api_path

NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
REF_RE = re.compile(rf"^(?P<owner>{NAME})/(?P<name>{NAME})(?:@(?P<version>[^@/]+))?$")
VERSION_RE = re.compile(r"^v?(?P<major>[0-9]{1,6})\.(?P<minor>[0-9]{2,6})$")


@dataclass(frozen=True)
class Ref:
    owner: str
    name: str
    version: str | None  # "v1.02", or None for the latest release

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def api(self, *more: str) -> str:
        return api_path("repos", self.owner, self.name, *more)

    def resolve_version(self, client: Client) -> str:
        """The release's label as the hub writes it (`v1.02`); the latest when none was given."""
        return client.get(self.api("releases", self.version or "latest"))["version"]


def parse_ref(text: str, *, versioned: bool = True) -> Ref:
    match = REF_RE.match(text.strip())
    if not match or (match["version"] and not versioned):
        form = "OWNER/NAME[@vX.YY]" if versioned else "OWNER/NAME"
        raise HubError(f"“{text}” is not a repository: write {form}.", code=USAGE)
    version = match["version"]
    if version and version != "latest":
        parsed = VERSION_RE.match(version)
        if not parsed:
            raise HubError(f"“{version}” is not a version: versions look like v1.02.", code=USAGE)
        version = f"v{int(parsed['major'])}.{parsed['minor']}"
    return Ref(match["owner"], match["name"], None if version == "latest" else version)
