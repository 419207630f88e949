import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ledger import selectors

from .celery import app as celery_app

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """The public landing page: what is in circulation and the latest signed seal."""
    return render(
        request,
        "home.html",
        {"supplies": selectors.currency_supplies(), "head": selectors.block_head()},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers. Nothing else is asked, so a database outage never makes
    an orchestrator restart healthy web processes (readiness says whether to send traffic)."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = %s", [f"{READY_TIMEOUT_SECONDS}s"])
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = "readyz:probe"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=READY_TIMEOUT_SECONDS)


READY_TIMEOUT_SECONDS = 2
READY_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
}


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, the cache and the broker answer, each within a short timeout.
    503 with the failing checks named (never their error text, which may hold addresses)."""
    checks: dict[str, str] = {}
    for name, check in READY_CHECKS.items():
        try:
            check()
        except Exception:  # any failure means "not ready"; the log has the cause
            logger.warning("readiness check %s failed", name, exc_info=True)
            checks[name] = "failing"
        else:
            checks[name] = "ok"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
