"""Prometheus metrics of our own, beside django-prometheus' request, database and cache metrics.

Counters (per process; with several gunicorn workers set PROMETHEUS_MULTIPROC_DIR, see
docs/operations.md): payments and refunds committed, problems answered by type. Gauges read from
the database at scrape time, so every process reports the same truth: claims per state (the
review queue, payouts waiting, paid), settlements per state, and how far sealing lags behind.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_save
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.http import client_address
from core.problems import problem_answered
from ledger.models import Block, Transfer
from ledger.monitoring import verify_status
from payments.models import Payment, Refund, Settlement
from rewards.models import Claim

PAYMENTS = Counter("heitje_payments", "Payments committed, by method.", ["method"])
PAYMENT_CENTS = Counter("heitje_payment_cents", "Minor units paid to shops.")
REFUNDS = Counter("heitje_refunds", "Refunds committed.")
PROBLEMS = Counter("heitje_problems", "problem+json answers, by problem type.", ["type"])


def _problem_answered(sender: Any, code: str, **kwargs: Any) -> None:
    PROBLEMS.labels(code).inc()


def _payment_saved(sender: Any, instance: Payment, created: bool, **kwargs: Any) -> None:
    if created:
        method, amount = str(instance.method), instance.amount

        def count() -> None:
            PAYMENTS.labels(method).inc()
            PAYMENT_CENTS.inc(amount)

        transaction.on_commit(count)


def _refund_saved(sender: Any, instance: Refund, created: bool, **kwargs: Any) -> None:
    if created:
        transaction.on_commit(REFUNDS.inc)


class DatabaseCollector(Collector):
    """Queue depths and seal lag, counted by the database when Prometheus scrapes."""

    def describe(self) -> Iterator[Metric]:
        """The names, without asking the database (registering must not need one)."""
        yield GaugeMetricFamily("heitje_claims", "Claims per state.", labels=["state"])
        yield GaugeMetricFamily(
            "heitje_settlements", "Shop settlements per state.", labels=["state"]
        )
        yield GaugeMetricFamily("heitje_unsealed_transfers", "Transfers not yet sealed.")
        yield GaugeMetricFamily("heitje_seconds_since_seal", "Seconds since the latest seal.")
        yield GaugeMetricFamily("heitje_ledger_verify_failures", "Scheduled verifies that failed.")
        yield GaugeMetricFamily("heitje_ledger_verify_ok", "1 if the last scheduled verify passed.")

    def collect(self) -> Iterator[Metric]:
        claims = GaugeMetricFamily("heitje_claims", "Claims per state.", labels=["state"])
        for row in Claim.objects.values("status").annotate(n=Count("id")).order_by():
            claims.add_metric([row["status"]], row["n"])
        yield claims
        settlements = GaugeMetricFamily(
            "heitje_settlements", "Shop settlements per state.", labels=["state"]
        )
        for row in Settlement.objects.values("status").annotate(n=Count("id")).order_by():
            settlements.add_metric([row["status"]], row["n"])
        yield settlements
        head = Block.objects.order_by("-height").first()
        sealed_up_to = (head.last_transfer_id or 0) if head else 0
        newest = Transfer.objects.aggregate(newest=Max("id"))["newest"] or 0
        yield GaugeMetricFamily(
            "heitje_unsealed_transfers",
            "Transfers newer than the latest sealed block (by id).",
            value=max(newest - sealed_up_to, 0),
        )
        if head is not None:
            yield GaugeMetricFamily(
                "heitje_seconds_since_seal",
                "Seconds since the latest block was sealed.",
                value=(timezone.now() - head.sealed_at).total_seconds(),
            )
        status = verify_status()
        yield GaugeMetricFamily(
            "heitje_ledger_verify_failures",
            "Scheduled ledger verifies that found the ledger broken (alert on any increase).",
            value=status["failures"],
        )
        if status["last"] is not None:
            yield GaugeMetricFamily(
                "heitje_ledger_verify_ok",
                "1 if the last scheduled ledger verify passed, 0 if it found problems.",
                value=1 if status["last"]["ok"] else 0,
            )


_collector = DatabaseCollector()


def register() -> None:
    """Called once from the app config: signals for the counters, the collector for gauges."""
    post_save.connect(_payment_saved, sender=Payment, dispatch_uid="metrics-payment")
    post_save.connect(_refund_saved, sender=Refund, dispatch_uid="metrics-refund")
    problem_answered.connect(_problem_answered, dispatch_uid="metrics-problem")
    if _collector not in REGISTRY._collector_to_names:  # registered once, also in tests
        REGISTRY.register(_collector)


def _allowed(request: HttpRequest) -> bool:
    address = client_address(request)
    if address is None:
        return False
    networks = [ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS]
    return any(ipaddress.ip_address(address) in network for network in networks)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """`/metrics` for Prometheus, answered only to METRICS_ALLOWED_NETWORKS (by default the
    machine itself): counts of payments and queues are not for the public internet."""
    if not _allowed(request):
        raise Http404
    return ExportToDjangoView(request)
