"""The till's (and the resident's) limit of wrong codes: counted in the cache, in PostgreSQL
while the cache is unreachable."""

import logging

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from core.counters import window_give_back, window_take

from ..errors import (
    TooManyAttempts,
)
from ..models import (
    CodeAttempts,
)
from .common import SHORT_CODE_FAILURES_MAX, SHORT_CODE_WINDOW

logger = logging.getLogger(__name__)


def _failures_key(shop_id: int, cashier_id: int) -> str:
    return f"payments:code-failures:{shop_id}:{cashier_id}"


def _attempt_take(shop_id: int, cashier_id: int) -> None:
    """Count this code lookup against the till's limit *before* looking (an atomic increment,
    so parallel requests cannot all pass a check made before any of them failed); refuse once
    the limit is reached. A lookup that finds a valid code gives its attempt back. Counted in
    the cache; in PostgreSQL while the cache is unreachable, so the limit holds either way."""
    key = _failures_key(shop_id, cashier_id)
    try:
        taken = window_take(key, SHORT_CODE_WINDOW)
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
        window_give_back(key)
    except Exception:  # noqa: BLE001 - the cache is down: the attempt was counted in the database
        CodeAttempts.objects.filter(key=key, taken__gt=0).update(taken=F("taken") - 1)
