"""Background work of rewards. Tasks take ids (or nothing) and call a service."""

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import claims, notify, payouts


@shared_task(acks_late=True)
def claims_expire_task() -> int:
    """Expire reservations older than REWARDS_RESERVATION_HOURS and free their slots (periodic:
    beat runs it every 10 minutes). Safe to run twice at once: each claim is locked, skipped
    when taken."""
    return claims.claims_expire()


# Lost connections and a database restarting are worth retrying: a payout is idempotent (see
# rewards.payouts), so a retry after a failure at any point pays at most once.
_TRANSIENT = (OperationalError, InterfaceError)
# Acknowledged only when done, retried with backoff up to ten times over about half an hour.
_RETRIED: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": _TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_kwargs": {"max_retries": 10},
}


@shared_task(**_RETRIED)
def payout_task(claim_id: int) -> str:
    """Pay one finally approved claim, exactly once (acknowledged only when done: a worker
    killed half-way leaves the task to be delivered again)."""
    return payouts.claim_pay(claim_id=claim_id).value


@shared_task(**_RETRIED)
def payout_batch_task(claim_ids: list[int]) -> dict[str, int]:
    """Pay the claims of a bulk approval with one ledger batch; returns how many of each
    outcome."""
    outcomes = payouts.claims_pay_batch(claim_ids=claim_ids)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts


@shared_task(acks_late=True)
def payouts_sweep_task() -> int:
    """Periodic safety net (beat): pay approved claims whose payout task never ran."""
    return payouts.payouts_sweep()


@shared_task(acks_late=True, autoretry_for=_TRANSIENT, retry_backoff=True)
def claims_mail_task(claim_ids: list[int], event: str) -> None:
    """Mail the residents of a bulk approval or payout (their in-app notifications are written
    with the decision itself)."""
    notify.claims_mail(claim_ids=claim_ids, event=event)
