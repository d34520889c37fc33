"""A Redis cache that degrades to no cache when Redis is away, instead of failing the page.

Every use of the cache in the hub is an optimisation (facet counts, rate counters): with
Redis unreachable a read is a miss, a write is dropped, and the page is computed as if
nothing had been cached. Each failure is logged as one line; the socket timeouts are short so
that a page does not wait long for a server that is down.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def _degrading(method: str, fallback):
    def call(self, *args, **kwargs):
        try:
            return getattr(super(DegradingRedisCache, self), method)(*args, **kwargs)
        except UNREACHABLE as exc:
            log.warning("cache unreachable op=%s error=%s", method, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    call.__name__ = method
    return call


def _default(key, default=None, *args, **kwargs):
    return default


class DegradingRedisCache(RedisCache):
    get = _degrading("get", _default)
    get_many = _degrading("get_many", {})
    has_key = _degrading("has_key", False)
    set = _degrading("set", None)
    add = _degrading("add", False)
    set_many = _degrading("set_many", [])
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    delete_many = _degrading("delete_many", None)
    incr = _degrading("incr", 0)
    clear = _degrading("clear", None)
