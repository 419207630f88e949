from celery import shared_task

from .monitoring import ledger_verify_alert
from .sealing import ledger_seal


@shared_task(ignore_result=True)
def ledger_seal_task() -> int | None:
    """Beat runs this every LEDGER_SEAL_INTERVAL seconds; it holds no logic of its own."""
    block = ledger_seal()
    return block.height if block else None


@shared_task(ignore_result=True)
def ledger_verify_task() -> int:
    """Beat runs this every LEDGER_VERIFY_INTERVAL seconds; returns how many problems it found."""
    return len(ledger_verify_alert().problems)
