"""The Redis cache (config.cache) against a real Redis: one client per pool, and it works."""

import threading

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")


@pytest.fixture
def redis_cache(settings):
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {settings.REDIS_URL} does not answer: {error}")
    settings.CACHES = {
        **settings.CACHES,
        "bench": {
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "test-cache",
        },
    }
    cache = caches["bench"]
    yield cache
    cache.delete_many(["a", "b"])


def test_every_call_of_a_thread_shares_one_client_and_each_thread_has_its_own(redis_cache):
    client = redis_cache._cache.get_client()
    redis_cache.set("a", 1)
    assert redis_cache.get("a") == 1 and redis_cache.incr("a") == 2
    assert redis_cache._cache.get_client(write=True) is client

    theirs = []

    def other_thread():
        other = caches["bench"]
        other.set("b", "from another thread")
        theirs.append(other._cache.get_client())

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not client
    assert redis_cache.get("b") == "from another thread"
