"""The scheduled integrity check, and what it leaves behind for monitoring.

Beat runs `ledger_verify_alert` every LEDGER_VERIFY_INTERVAL seconds (default hourly). A broken
ledger is an alert: one log record at ERROR on the `ledger.monitoring` logger naming every
problem, and a counter in the shared cache (Redis in production) that a metrics endpoint can
expose; `verify_status` reads both the counter and the last run's outcome.
"""

import logging
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from .verify import VerifyReport, ledger_verify

logger = logging.getLogger(__name__)

FAILURES_KEY = "ledger:verify:failures"  # counter: scheduled runs that found the ledger broken
LAST_KEY = "ledger:verify:last"  # gauge: the last scheduled run's time, outcome, problem count


def ledger_verify_alert() -> VerifyReport:
    """Verify the whole ledger (with every registered cross-check) and raise the alarm when it
    is broken: an ERROR log naming each problem and one more on the failure counter. Reads the
    ledger only; never repairs anything."""
    report = ledger_verify()
    cache.set(
        LAST_KEY,
        {
            "at": timezone.now().isoformat(),
            "ok": report.ok,
            "problems": len(report.problems),
            "summary": report.summary(),
        },
        timeout=None,
    )
    if report.ok:
        logger.info("%s", report.summary())
        return report
    cache.add(FAILURES_KEY, 0, timeout=None)
    cache.incr(FAILURES_KEY)
    logger.error("%s\n%s", report.summary(), "\n".join(report.problems))
    return report


def verify_status() -> dict[str, Any]:
    """For a metrics endpoint: how many scheduled runs failed, and the last run's outcome
    (None before the first run)."""
    return {"failures": cache.get(FAILURES_KEY, 0), "last": cache.get(LAST_KEY)}
