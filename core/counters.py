"""Counting attempts in the cache, in fixed windows: a resident's evidence uploads per hour, the
sign-in attempts per address, the till's wrong codes.

`window_take` counts one attempt and returns how many the window holds now, atomically, so that
parallel requests cannot all pass a check made before any of them counted; the window starts
with the first attempt and ends `seconds` later. `window_give_back` takes one back while the
window lasts (an attempt that turned out not to count). With Redis as the cache (production)
each is one script, one round trip, instead of what `cache.add` + `cache.incr` (SET NX, EXISTS,
INCRBY) and `cache.decr` (EXISTS, INCRBY) send; the counter is the cache's own integer under the
cache's own key, so `cache.get(key)` reads it either way. Any other cache (tests, development)
counts through the cache's API. A cache that cannot be reached raises, as the cache does.

`log_take` keeps a sliding window instead (the API's throttles, core.http): the times of the
requests of the last `seconds`, as a sorted set on Redis, pruned, counted and added to in one
script, so that parallel requests are each counted once (DRF's own throttle reads a list, then
writes it back whole, and parallel requests overwrite each other's entries)."""

import contextlib
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

_TAKE = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return false
"""
# KEYS[1] the log; ARGV: now (seconds), the window (whole seconds), the limit, a unique member.
# An entry as old as the window has ended, as DRF's throttle drops it. Scores come back as
# strings (a Lua number would come back cut to an integer).
_LOG_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, held, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, held + 1, ARGV[1]}
"""
_scripts: dict[str, Any] = {}


def _redis() -> tuple[Any, Callable[[str], str]] | None:
    """The Redis client behind the default cache and its key function, or None for any other
    cache."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True), backend.make_and_validate_key


def _run(client: Any, source: str, key: str, *args: object) -> Any:
    """Run the script by its hash (EVALSHA; redis-py loads it again if Redis lost it)."""
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = client.register_script(source)
    return script(keys=[key], args=list(args), client=client)


def window_take(key: str, seconds: int) -> int:
    """Count one attempt under `key`; how many the current window of `seconds` holds now."""
    redis = _redis()
    if redis is not None:
        client, stored = redis
        return int(_run(client, _TAKE, stored(key), seconds))
    cache.add(key, 0, seconds)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return 1


def window_give_back(key: str) -> None:
    """Take one attempt back from `key`'s window; nothing once the window has ended."""
    redis = _redis()
    if redis is not None:
        client, stored = redis
        _run(client, _GIVE_BACK, stored(key))
        return
    with contextlib.suppress(ValueError):
        cache.decr(key)


class LogTake(NamedTuple):
    """What `log_take` found: whether the request was counted (the limit not yet reached), how
    many the window holds now, and the time of its oldest entry."""

    taken: bool
    held: int
    oldest: float


def log_take(key: str, now: float, seconds: int, limit: int) -> LogTake | None:
    """Count a request at `now` under `key` unless the last `seconds` already hold `limit`; None
    when the cache is not Redis (the caller keeps its own log through the cache's API)."""
    redis = _redis()
    if redis is None:
        return None
    client, stored = redis
    member = f"{now!r}:{os.urandom(6).hex()}"
    taken, held, oldest = _run(client, _LOG_TAKE, stored(key), repr(now), seconds, limit, member)
    return LogTake(bool(taken), int(held), float(oldest))
