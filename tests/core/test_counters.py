"""core.counters: attempts counted in fixed windows, on Redis (production's cache, one script a
step) and through the cache's API (any other cache): the same counts, read back by the cache."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from core.counters import window_give_back, window_take

REDIS = os.environ.get("CORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture(params=["redis", "locmem"])
def any_cache(request, settings):
    if request.param == "redis":
        backend = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": "heitje-test-counters",
        }
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": backend}
    cache.clear()
    yield request.param
    cache.clear()


def test_takes_count_up_and_a_give_back_takes_one_back(any_cache):
    assert [window_take("k", 60) for _ in range(3)] == [1, 2, 3]
    window_give_back("k")
    assert cache.get("k") == 2
    assert window_take("k", 60) == 3
    assert window_take("other", 60) == 1  # each key its own window


def test_a_give_back_outside_a_window_writes_nothing(any_cache):
    window_give_back("never-taken")
    assert cache.get("never-taken") is None


def test_the_window_ends_seconds_after_its_first_attempt():
    # On Redis: the expiry is set by the first take and not moved by later ones.
    settings_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": "heitje-test-counters",
    }
    from django.test import override_settings

    with override_settings(CACHES={"default": settings_cache}):
        cache.clear()
        window_take("w", 30)
        client = cache._cache.get_client()
        key = cache.make_and_validate_key("w")
        client.expire(key, 5)  # as if 25 s had passed
        window_take("w", 30)
        assert 0 < client.ttl(key) <= 5
        cache.clear()


def test_parallel_takes_are_each_counted_once(any_cache):
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda _: window_take("busy", 60), range(40)))
    assert sorted(taken) == list(range(1, 41))
    assert cache.get("busy") == 40
