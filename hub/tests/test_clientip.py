"""The client's address, believed from X-Forwarded-For only when a trusted proxy sent it."""

import pytest
from django.test import RequestFactory

from hub.clientip import client_ip


def _address(remote: str, forwarded: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "client"),
    [
        ([], "198.51.100.1", None, "198.51.100.1"),
        ([], "127.0.0.1", "203.0.113.5", "127.0.0.1"),  # no proxy trusted: the header is not
        (["127.0.0.1"], "198.51.100.1", "203.0.113.5", "198.51.100.1"),  # not from the proxy
        (["127.0.0.1"], "127.0.0.1", "203.0.113.5", "203.0.113.5"),
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # a forged entry
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.2.3", "203.0.113.5"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "unknown", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, garbage, 127.0.0.1", "127.0.0.1"),
        (["::1"], "::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_it_takes_the_address_the_nearest_untrusted_hop_was_seen_from(
    settings, trusted, remote, forwarded, client
):
    settings.TRUSTED_PROXIES = trusted
    assert _address(remote, forwarded) == client
