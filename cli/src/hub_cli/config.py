"""Where the CLI keeps the hub's address and the token: `config.json` in the user's config
directory (platformdirs: `~/.config/hub/` on Linux), readable by the user alone (0600).
`HUB_URL` and `HUB_TOKEN` in the environment take precedence over what is stored."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    url: str
    token: str | None


def config_path() -> Path:
    return Path(user_config_dir("hub", appauthor=False)) / "config.json"


def _stored() -> dict:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load() -> Settings:
    stored = _stored()
    url = os.environ.get("HUB_URL") or stored.get("url") or DEFAULT_URL
    token = os.environ.get("HUB_TOKEN") or stored.get("token") or None
    return Settings(url=normalise_url(url), token=token)


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    return url


def save(*, url: str, token: str | None) -> Path:
    """Write the file with mode 0600 from the start (never readable by others, not even for
    a moment), in a directory of mode 0700."""
    path = config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = {"url": url} | ({"token": token} if token else {})
    partial = path.with_name(path.name + ".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        if hasattr(os, "fchmod"):
            os.fchmod(file.fileno(), 0o600)  # a leftover file of that name kept its mode
        json.dump(data, file, indent=2)
        file.write("\n")
    os.replace(partial, path)
    return path
