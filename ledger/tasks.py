from celery import shared_task

from .sealing import ledger_seal


@shared_task(ignore_result=True)
def ledger_seal_task() -> int | None:
    """Beat runs this every LEDGER_SEAL_INTERVAL seconds; it holds no logic of its own."""
    block = ledger_seal()
    return block.height if block else None
