"""The API's throttles (core.http): on Redis, production's cache, the sliding window is a sorted
set kept by one script; on any other cache it is DRF's own list. Both must decide alike: the same
requests allowed and refused, the same Retry-After. On Redis, parallel requests are each counted
once, so no burst gets past the limit."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from rest_framework.request import Request
from rest_framework.test import APIClient

from core.http import UserRateThrottle

REDIS = os.environ.get("CORE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
ON_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": "heitje-test-throttle",
    }
}
ON_LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


class _User:
    is_authenticated = True
    pk = 41


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.25

    def __call__(self) -> float:
        return self.now


def _throttle(clock: Clock, rate: str) -> UserRateThrottle:
    throttle = UserRateThrottle()
    throttle.rate = rate
    num, duration = throttle.parse_rate(rate)
    assert num is not None
    assert duration is not None
    throttle.num_requests, throttle.duration = num, duration
    throttle.timer = clock
    return throttle


def _request() -> Request:
    request = Request(RequestFactory().get("/api/v1/me/", REMOTE_ADDR="10.1.1.1"))
    request.user = _User()  # type: ignore[assignment]
    return request


# Seconds between requests (binary fractions, so sums are exact): a burst, a pause into the
# window, requests exactly as old as the window (no longer counted), and a long pause after
# which everything has expired.
STEPS = [0, 0.25, 0.25, 0.5, 5, 1, 0.5, 52.5, 0, 0.25, 0.5, 2, 58, 0.125, 120, 0, 0, 0, 0]


def _decisions(caches: dict, rate: str) -> list[tuple[bool, float | None]]:
    clock = Clock()
    decided = []
    with override_settings(CACHES=caches):
        cache.clear()
        for step in STEPS:
            clock.now += step
            throttle = _throttle(clock, rate)
            throttle.cache = cache  # DRF's class keeps the cache of import time
            allowed = throttle.allow_request(_request(), None)
            decided.append((allowed, None if allowed else round(throttle.wait() or -1, 6)))
        cache.clear()
    return decided


@pytest.mark.parametrize("rate", ["3/min", "5/min", "1/s"])
def test_redis_decides_as_drf_does(rate):
    drf = _decisions(ON_LOCMEM, rate)
    assert any(not allowed for allowed, _ in drf)  # the sequence does reach the limit
    assert any(allowed for allowed, _ in drf[1:])  # and the window does slide
    assert _decisions(ON_REDIS, rate) == drf


def test_parallel_requests_on_redis_are_each_counted_once():
    with override_settings(CACHES=ON_REDIS):
        cache.clear()
        clock = Clock()

        def one(_: int) -> bool:
            throttle = _throttle(clock, "10/min")
            return throttle.allow_request(_request(), None)

        with ThreadPoolExecutor(max_workers=8) as pool:
            allowed = list(pool.map(one, range(40)))
        cache.clear()
    assert allowed.count(True) == 10


@pytest.mark.django_db
def test_an_api_caller_over_the_limit_gets_429_with_retry_after_on_redis(make_user, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "4/min")
    person = make_user("rita@example.org", "resident", preferred_language="en")
    client = APIClient()
    client.force_authenticate(person)
    with override_settings(CACHES=ON_REDIS):
        cache.clear()
        monkeypatch.setattr(UserRateThrottle, "cache", cache)
        statuses = [client.get("/api/v1/me/").status_code for _ in range(6)]
        refused = client.get("/api/v1/me/")
        cache.clear()
    assert statuses == [200] * 4 + [429] * 2
    assert refused["Content-Type"].startswith("application/problem+json")
    assert 0 < int(refused["Retry-After"]) <= 60
