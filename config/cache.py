"""The Redis cache, degraded instead of failing while Redis is away.

Everything the app keeps in the cache can be lost: throttle histories, presence on the
workbench, queue counts, the cached staff list. So a cache that cannot be reached must
not turn a filing, a reply or a page into a 500: a read misses, a write is dropped, and
the request goes on (throttles then let the request through, counts are recomputed).

After a failure the cache stays "away" for a few seconds, so a request that touches the
cache many times pays for one connection attempt, not one per call.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrades(fallback):
    """Run the cache call; while Redis is unreachable answer `fallback(*args, **kwargs)`."""

    def decorate(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if time.monotonic() < self._away_until:
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except _UNREACHABLE as error:
                if not self._away_until:
                    log.warning("Cache unreachable, running without it: %s", error)
                self._away_until = time.monotonic() + self.retry_after
                return fallback(*args, **kwargs)
            if self._away_until:
                log.warning("Cache reachable again.")
                self._away_until = 0.0
            return result

        return call

    return decorate


def _none(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


def _get_default(key, default=None, version=None):
    return default


def _empty(*args, **kwargs):
    return {}


def _nothing_stored(data, *args, **kwargs):
    return list(data)


def _incr_as_new(key, delta=1, version=None):
    return delta


class _OneClientPerPool(RedisCacheClient):
    """Django's client, but each connection pool's redis.Redis made once, not per call.

    Django builds a redis.Redis for every cache call, and redis-py 8 fills a table of about
    170 reply handlers for each (~0.1 ms of CPU): a filing's seven cache calls (throttles,
    the outbox's flag) paid that seven times. A redis.Redis takes a pooled connection per
    command, so one can serve every call; this client is the thread's own anyway (Django
    keeps a cache backend per thread).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # kept in self._pools: its id stays its own
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class DegradingRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache that never raises when Redis is down.

    OPTIONS go to redis-py's connection pool as with Django's backend; set
    `socket_connect_timeout` and `socket_timeout` short, so an unreachable host costs
    fractions of a second. `RETRY_AFTER` (seconds, default 5) is how long the cache stays
    away after a failure.
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _OneClientPerPool
        self._away_until = 0.0

    add = _degrades(_false)(RedisCache.add)
    get = _degrades(_get_default)(RedisCache.get)
    set = _degrades(_none)(RedisCache.set)
    touch = _degrades(_false)(RedisCache.touch)
    delete = _degrades(_false)(RedisCache.delete)
    get_many = _degrades(_empty)(RedisCache.get_many)
    has_key = _degrades(_false)(RedisCache.has_key)
    incr = _degrades(_incr_as_new)(RedisCache.incr)
    set_many = _degrades(_nothing_stored)(RedisCache.set_many)
    delete_many = _degrades(_none)(RedisCache.delete_many)
    clear = _degrades(_false)(RedisCache.clear)
