"""The RPC node: one web3 client per URL and process, the figures asked of it (chain id, fees),
and the errors that mean "try again later"."""

import functools
import time

import requests
from django.conf import settings
from web3 import Web3
from web3.exceptions import ProviderConnectionError, RequestTimedOut, TooManyRequests

TRANSIENT_ERRORS = (
    requests.exceptions.RequestException,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    ConnectionError,
    TimeoutError,
)


@functools.cache
def _web3(url: str) -> Web3:
    provider = Web3.HTTPProvider(
        url, request_kwargs={"timeout": 10}, exception_retry_configuration=None
    )
    return Web3(provider)


def web3(url: str = "") -> Web3:
    """The client of `url`, by default CHAIN_RPC_URL; one per process and URL."""
    return _web3(url or settings.CHAIN_RPC_URL)


_chain_ids: dict[str, int] = {}
_fees: dict[str, tuple[float, int, int]] = {}
FEES_TTL = 3.0


def fees(w3: Web3, *, fresh: bool = False) -> tuple[int, int]:
    """(base fee of the latest block, priority fee), asked at most every few seconds per
    process: the max fee of twice the base fee covers several blocks of rising prices."""
    url = w3.provider.endpoint_uri
    cached = _fees.get(url)
    if cached and not fresh and time.monotonic() - cached[0] < FEES_TTL:
        return cached[1], cached[2]
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tip = w3.eth.max_priority_fee
    _fees[url] = (time.monotonic(), base, tip)
    return base, tip


def chain_id(w3: Web3) -> int:
    """The chain's id, asked once per process and node."""
    url = w3.provider.endpoint_uri
    if url not in _chain_ids:
        _chain_ids[url] = w3.eth.chain_id
    return _chain_ids[url]
