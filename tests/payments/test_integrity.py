"""`manage.py ledger_verify` cross-checks every payment, refund and paper voucher against its
ledger transfer (checks the payments app registers with the ledger), and the scheduled run
raises the alarm: an ERROR log naming the row and a failure counter for monitoring."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from ledger import monitoring
from ledger.tasks import ledger_verify_task
from payments import voucher_batches, vouchers
from payments.models import Payment, Refund, Voucher
from tests.payments.pay_fixtures import resident

pytest_plugins = ["tests.payments.settle_fixtures"]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def raw(sql: str, params) -> None:
    """What someone with the application's database password could do: these tables have no
    triggers, only the cross-check notices."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


def verify_fails(capsys) -> str:
    with pytest.raises(CommandError, match=r"ledger BROKEN") as caught:
        call_command("ledger_verify")
    assert caught.value.returncode == 1
    return capsys.readouterr().err


@pytest.fixture
def paid_and_refunded(shop, cashier, capsys):
    """Anna pays the shop 20.00 tokens over the API and the cashier refunds 5.00."""
    anna = resident("anna@example.org", funded=10_000)
    paid = client_for(anna).post(
        "/api/v1/wallet/pay-shop/", {"shop": str(shop.pk), "amount": 2_000}, format="json"
    )
    assert paid.status_code == 201, paid.content
    payment = Payment.objects.get(pk=paid.json()["id"])
    refunded = client_for(cashier).post(
        f"/api/v1/shops/{shop.pk}/payments/{payment.pk}/refunds/", {"amount": 500}, format="json"
    )
    assert refunded.status_code == 201, refunded.content
    call_command("ledger_verify")
    assert "ledger ok" in capsys.readouterr().out
    return anna, payment, Refund.objects.get(payment=payment)


def test_a_tampered_payment_amount_is_named(paid_and_refunded, shop, capsys):
    anna, payment, _ = paid_and_refunded
    raw("UPDATE payments_payment SET amount = 2500 WHERE id = %s", [payment.pk])
    err = verify_fails(capsys)
    assert (
        f"payment #{payment.pk}: 2500 from account #{anna.resident.wallet_id} to account "
        f"#{shop.account_id}, but its transfer #{payment.transfer_id} moves "
    ) in err
    assert err.count("payment #") == 1


def test_a_payment_pointed_at_another_wallet_is_named(paid_and_refunded, capsys):
    _, payment, _ = paid_and_refunded
    bram = resident("bram@example.org")
    raw(
        "UPDATE payments_payment SET payer_account_id = %s WHERE id = %s",
        [bram.resident.wallet_id, payment.pk],
    )
    err = verify_fails(capsys)
    assert f"payment #{payment.pk}: 2000 from account #{bram.resident.wallet_id}" in err
    assert "refund #" in err  # the refund went back to Anna, not to the payment's payer now


def test_a_tampered_refund_is_named_with_its_payment(paid_and_refunded, capsys):
    _, payment, refund = paid_and_refunded
    raw("UPDATE payments_refund SET amount = 50 WHERE id = %s", [refund.pk])
    err = verify_fails(capsys)
    assert f"refund #{refund.pk}: 50 from account" in err
    assert f"payment #{payment.pk}: refunded 500, but its refunds sum to 50" in err


def test_a_voucher_redeemed_without_its_payment_is_named(
    manager, approver, campaign, shop, cashier, capsys
):
    batch = voucher_batches.voucher_batch_request(
        actor=manager,
        campaign_id=campaign.pk,
        name="Voedselbank",
        value=1_000,
        count=2,
        expires_at=timezone.now() + timedelta(days=30),
    )
    voucher_batches.voucher_batch_approve(actor=approver, batch_id=batch.pk)
    issued = voucher_batches.voucher_batch_sheet(actor=manager, batch_id=batch.pk)
    payment = vouchers.voucher_redeem(
        cashier=cashier, shop_id=shop.pk, code=issued.vouchers[0].code
    )
    call_command("ledger_verify")
    voucher = Voucher.objects.get(payment=payment)
    unused = Voucher.objects.exclude(pk=voucher.pk).get()
    raw("UPDATE payments_voucher SET payment_id = NULL WHERE id = %s", [voucher.pk])
    raw("UPDATE payments_voucher SET payment_id = %s WHERE id = %s", [payment.pk, unused.pk])
    err = verify_fails(capsys)
    assert f"voucher #{voucher.pk}: redeemed, but no payment records it" in err
    assert f"voucher #{unused.pk}: not redeemed, but paid by payment #{payment.pk}" in err


def test_the_scheduled_run_logs_an_error_and_counts_the_failure(paid_and_refunded, caplog, capsys):
    _, payment, _ = paid_and_refunded
    assert ledger_verify_task.delay().get() == 0
    assert monitoring.verify_status()["last"]["ok"] is True
    assert monitoring.verify_status()["failures"] == 0
    raw("UPDATE payments_payment SET amount = 2500 WHERE id = %s", [payment.pk])
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ledger.monitoring"):
        assert ledger_verify_task.delay().get() == 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "ledger BROKEN (1 problems)" in errors[0].getMessage()
    assert f"payment #{payment.pk}: 2500 from account" in errors[0].getMessage()
    status = monitoring.verify_status()
    assert (status["failures"], status["last"]["ok"], status["last"]["problems"]) == (1, False, 1)


def test_beat_runs_the_verify_on_its_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["ledger-verify"]
    assert entry["task"] == "ledger.tasks.ledger_verify_task"
    assert entry["schedule"] == timedelta(seconds=settings.LEDGER_VERIFY_INTERVAL)
    assert settings.LEDGER_VERIFY_INTERVAL == 3600
