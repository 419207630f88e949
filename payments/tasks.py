"""Background work of payments. Tasks take ids (or nothing) and call a service."""

from celery import shared_task

from . import vouchers


@shared_task(acks_late=True)
def vouchers_expire_task() -> int:
    """Return the unredeemed value of expired voucher batches to their budgets (periodic: beat
    runs it hourly). Safe to run twice at once: each batch is locked and expires once."""
    return vouchers.voucher_batches_expire()
