"""The client's address: the one answer for everything that counts or allows by address
(log-in throttling with django-axes, the sign-up and account-mail limits with
django-ratelimit, the /metrics allow-list).

Without TRUSTED_PROXIES it is the connection's address (`REMOTE_ADDR`), and a client's
`X-Forwarded-For` is ignored: anyone can write that header. When the connection comes from a
trusted proxy, `X-Forwarded-For` is read from the right (each proxy appends the address it
was connected from, as nginx's `$proxy_add_x_forwarded_for` does), skipping trusted proxies:
the first address that is not one is the client. Entries left of it were written by the
client and are never believed.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: Address | None) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, as text (`REMOTE_ADDR` unless it is a
    trusted proxy's)."""
    remote = request.META.get("REMOTE_ADDR", "")
    nearest = _parse(remote)
    if not _trusted(nearest):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _parse(entry)
        if address is None:  # not an address: believe nothing further left
            break
        nearest = address
        if not _trusted(address):
            break
    return str(nearest)
