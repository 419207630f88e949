"""Background work of payments. Tasks take ids (or nothing) and call a service."""

from celery import shared_task

from . import expiry, vouchers


@shared_task(acks_late=True)
def vouchers_expire_task() -> int:
    """Return the unredeemed value of expired voucher batches to their budgets (periodic: beat
    runs it hourly). Safe to run twice at once: each batch is locked and expires once."""
    return vouchers.voucher_batches_expire()


@shared_task(acks_late=True)
def wallet_expiry_task() -> tuple[int, int]:
    """Optional expiry (off unless a currency sets `expiry_months`; beat runs it daily): notify
    wallets a month from expiry, then expire those whose notice is due. Safe to run twice at
    once: a wallet is notified once per due expiry and expires once."""
    return expiry.wallet_expiries_notify(), expiry.wallets_expire()
