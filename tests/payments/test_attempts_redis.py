"""The till's wrong-code counter on Redis (production's cache), where each step is one script:
the same limit and give-back as through the cache's API, and the cache's own counter."""

import os

import pytest
from django.core.cache import cache

from payments.errors import TooManyAttempts
from payments.services.attempts import _attempt_give_back, _attempt_take, _failures_key
from payments.services.common import SHORT_CODE_FAILURES_MAX, SHORT_CODE_WINDOW

REDIS = os.environ.get("PAYMENTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": "heitje-test-attempts",
        }
    }
    cache.clear()
    yield cache
    cache.clear()


def test_the_limit_and_the_give_back_count_in_redis(redis_cache, db):
    key = _failures_key(7, 9)
    for taken in range(1, SHORT_CODE_FAILURES_MAX + 1):
        _attempt_take(7, 9)
        assert redis_cache.get(key) == taken  # the cache API reads the script's counter
    with pytest.raises(TooManyAttempts):
        _attempt_take(7, 9)
    _attempt_give_back(7, 9)
    _attempt_give_back(7, 9)
    assert redis_cache.get(key) == SHORT_CODE_FAILURES_MAX - 1
    _attempt_take(7, 9)  # under the limit again
    ttl = redis_cache._cache.get_client().ttl(redis_cache.make_and_validate_key(key))
    assert 0 < ttl <= SHORT_CODE_WINDOW


def test_a_give_back_after_the_window_writes_nothing(redis_cache, db):
    _attempt_give_back(7, 9)
    assert redis_cache.get(_failures_key(7, 9)) is None


def test_an_unreachable_redis_counts_in_postgresql(settings, db):
    from payments.models import CodeAttempts

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    _attempt_take(7, 9)
    _attempt_take(7, 9)
    assert CodeAttempts.objects.get(key=_failures_key(7, 9)).taken == 2
    _attempt_give_back(7, 9)
    assert CodeAttempts.objects.get(key=_failures_key(7, 9)).taken == 1
