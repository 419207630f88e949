"""The sign-in slowdown per email address, whatever the address the attempts come from.

django-axes locks an (email address, IP) pair after a few failures, so that nobody elsewhere can
lock a resident out. Alone, that lets someone with many addresses guess without end. This adds a
limit on the email address alone that slows such guessing down without locking anybody out:
the first SIGNIN_SLOWDOWN_AFTER attempts without a success are free (a resident who mistypes a
few times never notices); after that one attempt is let through per delay, which doubles from a
minute up to SIGNIN_SLOWDOWN_MAX_MINUTES, and attempts in between are refused unchecked (429
with Retry-After). A success ends it; an hour without attempts forgets them.

Counted in the cache shared by every web process, before the password is checked: an atomic
increment and an atomic add of the gate, so parallel attempts cannot all pass a check made
before any of them failed. Unknown addresses count the same, so the answers say nothing about
whether an account exists.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

from core.counters import window_give_back, window_take

from .errors import SignInSlowedDown

WINDOW = 60 * 60  # seconds without an attempt after which the count starts again
FIRST_DELAY = 60


def _keys(email: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"accounts:signin:{digest}:attempts", f"accounts:signin:{digest}:gate"


def _refusal(seconds: float) -> SignInSlowedDown:
    wait = max(1, math.ceil(seconds))
    minutes = math.ceil(wait / 60)
    return SignInSlowedDown(
        ngettext(
            "Too many failed sign-in attempts for this email address. "
            "Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts for this email address. "
            "Try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        retry_after=wait,
    )


def signin_attempt_take(*, email: str) -> None:
    """Count an attempt to sign in as `email` (normalised) before its password is checked.
    Raises SignInSlowedDown, counting nothing, while the email address must wait."""
    attempts_key, gate_key = _keys(email)
    now = time.time()
    gate = cache.get(gate_key)
    if gate is not None and gate > now:
        raise _refusal(gate - now)
    taken = window_take(attempts_key, WINDOW)
    cache.touch(attempts_key, WINDOW)
    over = taken - settings.SIGNIN_SLOWDOWN_AFTER
    if over <= 0:
        return
    delay = min(settings.SIGNIN_SLOWDOWN_MAX_MINUTES * 60, FIRST_DELAY * 2 ** min(over - 1, 20))
    if not cache.add(gate_key, now + delay, delay):
        # A parallel attempt took this turn.
        signin_attempt_give_back(email=email)
        raise _refusal(max(1.0, (cache.get(gate_key) or now + delay) - now))


def signin_attempt_give_back(*, email: str) -> None:
    """The attempt was refused before its password was checked: it does not count."""
    window_give_back(_keys(email)[0])


def signin_attempt_succeeded(*, email: str) -> None:
    """The right password: the email address starts afresh."""
    cache.delete_many(list(_keys(email)))
