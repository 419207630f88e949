"""The till's (and the resident's) limit of wrong codes: counted in the cache, in PostgreSQL
while the cache is unreachable."""

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from ..errors import (
    TooManyAttempts,
)
from ..models import (
    CodeAttempts,
)
from .common import SHORT_CODE_FAILURES_MAX, SHORT_CODE_WINDOW

logger = logging.getLogger(__name__)


# With Redis as the cache (production), each step is one script: what cache.add + cache.incr
# (three round trips: SET NX, EXISTS, INCRBY) and cache.decr (EXISTS, INCRBY) do, atomically.
# The counter is the cache's own integer under the cache's key, so either way reads the other's.
_TAKE = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return false
"""
_scripts: dict[str, Any] = {}


def _redis() -> tuple[Any, Callable[[str], str]] | None:
    """The Redis client behind the default cache and its key function, or None for any other
    cache (tests and development count through the cache's API)."""
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


def _failures_key(shop_id: int, cashier_id: int) -> str:
    return f"payments:code-failures:{shop_id}:{cashier_id}"


def _attempt_take(shop_id: int, cashier_id: int) -> None:
    """Count this code lookup against the till's limit *before* looking (an atomic increment,
    so parallel requests cannot all pass a check made before any of them failed); refuse once
    the limit is reached. A lookup that finds a valid code gives its attempt back. Counted in
    the cache; in PostgreSQL while the cache is unreachable, so the limit holds either way."""
    key = _failures_key(shop_id, cashier_id)
    try:
        redis = _redis()
        if redis is not None:  # the same, in one round trip instead of three
            client, stored = redis
            taken = int(_run(client, _TAKE, stored(key), SHORT_CODE_WINDOW))
        else:
            cache.add(key, 0, SHORT_CODE_WINDOW)
            try:
                taken = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, SHORT_CODE_WINDOW)
                taken = 1
    except Exception:  # noqa: BLE001 - any failure of the cache: count in the database instead
        logger.warning("Pay-code guesses counted in PostgreSQL: the cache is unreachable")
        taken = _attempt_take_in_database(key)
    if taken > SHORT_CODE_FAILURES_MAX:
        raise TooManyAttempts(
            _("Too many wrong codes. Wait a few minutes before trying again."), field="code"
        )


def _attempt_take_in_database(key: str) -> int:
    """One atomic upsert: a new window starts when the last one has ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_codeattempts AS c (key, taken, window_ends)
            VALUES (%(key)s, 1, clock_timestamp() + make_interval(secs => %(window)s))
            ON CONFLICT (key) DO UPDATE SET
                taken = CASE WHEN c.window_ends <= clock_timestamp() THEN 1 ELSE c.taken + 1 END,
                window_ends = CASE WHEN c.window_ends <= clock_timestamp()
                                   THEN EXCLUDED.window_ends ELSE c.window_ends END
            RETURNING taken
            """,
            {"key": key, "window": SHORT_CODE_WINDOW},
        )
        return int(cursor.fetchone()[0])


def _attempt_give_back(shop_id: int, cashier_id: int) -> None:
    key = _failures_key(shop_id, cashier_id)
    try:
        redis = _redis()
        if redis is not None:  # the same, in one round trip instead of two
            client, stored = redis
            _run(client, _GIVE_BACK, stored(key))
        else:
            with contextlib.suppress(ValueError):
                cache.decr(key)
    except Exception:  # noqa: BLE001 - the cache is down: the attempt was counted in the database
        CodeAttempts.objects.filter(key=key, taken__gt=0).update(taken=F("taken") - 1)
