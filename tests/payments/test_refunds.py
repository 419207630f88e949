"""Refunds: only against an earlier payment to the same shop, never above what is left of it,
cashiers up to a limit, owners above; the resident sees the refund in their history."""

import pytest
from django.db import IntegrityError, transaction

from accounts.errors import NotAllowed, NotFound
from accounts.models import AuditEvent
from ledger import selectors as ledger_selectors
from payments import selectors, services
from payments.errors import InsufficientBalance, PaymentError, RefundRefused
from payments.models import Payment, Refund
from tests.concurrency import run_together
from tests.payments.pay_fixtures import balance, money_snapshot, resident

pytest_plugins = ["tests.payments.pay_fixtures"]


@pytest.fixture
def paid(shop, anna):
    return services.pay_static_shop(user=anna, shop=shop.pk, amount=2_400)


def test_a_partial_refund_goes_back_to_the_wallet_and_shows_in_its_history(
    shop, cashier, anna, paid
):
    made = services.refund(
        actor=cashier, shop_id=shop.pk, payment_id=paid.pk, amount=400, reason="  broken  egg "
    )
    assert (made.amount, made.reason, made.actor) == (400, "broken egg", cashier)
    paid.refresh_from_db()
    assert paid.refunded == 400
    assert selectors.payment_refundable(payment=paid) == 2_000
    assert balance(anna.resident.wallet_id) == 20_000 - 2_400 + 400
    assert balance(shop.account_id) == 2_000
    latest = ledger_selectors.account_statement(account_id=anna.resident.wallet_id).lines[0]
    assert (latest.kind, latest.amount) == ("refund", 400)
    assert latest.metadata["shop"] == shop.name
    assert latest.metadata["payment_id"] == paid.pk
    assert AuditEvent.objects.filter(action="payment.refund", actor=cashier).exists()


def test_never_above_what_is_left(shop, owner, paid):
    services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=2_000)
    before = money_snapshot()
    with pytest.raises(RefundRefused):
        services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=401)
    assert money_snapshot() == before
    services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=400)
    with pytest.raises(RefundRefused):
        services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=1)
    assert Refund.objects.count() == 2


def test_the_database_refuses_refunding_more_than_was_paid(paid):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=paid.pk).update(refunded=paid.amount + 1)


def test_cashiers_refund_up_to_the_limit_owners_above(settings, shop, cashier, owner, paid):
    settings.CASHIER_REFUND_MAX = 1_000
    before = money_snapshot()
    with pytest.raises(NotAllowed):
        services.refund(actor=cashier, shop_id=shop.pk, payment_id=paid.pk, amount=1_001)
    assert money_snapshot() == before
    services.refund(actor=cashier, shop_id=shop.pk, payment_id=paid.pk, amount=1_000)
    services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=1_400)
    assert balance(shop.account_id) == 0


def test_only_against_a_payment_to_the_same_shop(shop, other_shop, cashier, paid, anna):
    other_payment = services.pay_static_shop(user=anna, shop=other_shop.pk, amount=500)
    stranger = resident("stranger@example.org")
    before = money_snapshot()
    with pytest.raises(NotFound):
        services.refund(actor=cashier, shop_id=shop.pk, payment_id=other_payment.pk, amount=100)
    with pytest.raises(NotFound):
        services.refund(actor=cashier, shop_id=other_shop.pk, payment_id=other_payment.pk, amount=1)
    with pytest.raises(NotFound):
        services.refund(actor=stranger, shop_id=shop.pk, payment_id=paid.pk, amount=100)
    assert money_snapshot() == before


@pytest.mark.parametrize(
    ("amount", "reason"), [(0, ""), (-1, ""), (True, ""), ("5", ""), (10, "x" * 301)]
)
def test_bad_amounts_and_reasons_are_refused(shop, owner, paid, amount, reason):
    before = money_snapshot()
    with pytest.raises(PaymentError):
        services.refund(
            actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=amount, reason=reason
        )
    assert money_snapshot() == before


def test_a_client_key_makes_a_retry_return_the_first_refund(shop, owner, paid):
    first = services.refund(
        actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=300, idempotency_key="r-1"
    )
    again = services.refund(
        actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=300, idempotency_key="r-1"
    )
    assert again == first
    with pytest.raises(RefundRefused):
        services.refund(
            actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=200, idempotency_key="r-1"
        )
    assert Refund.objects.count() == 1
    assert balance(shop.account_id) == 2_100


def test_a_shop_that_has_settled_its_tokens_cannot_refund_them(shop, owner, paid):
    from ledger import services as ledger_services

    currency = ledger_services.currency_get_or_create(code="HEITJE", name="Heitje")
    issuer = ledger_selectors.issuer_account(currency=currency)
    ledger_services.transfer_post(
        kind="burn",
        legs=ledger_services.legs_between(
            source_id=shop.account_id, destination_id=issuer.pk, amount=2_400
        ),
    )
    with pytest.raises(InsufficientBalance):
        services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=100)
    paid.refresh_from_db()
    assert paid.refunded == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_payment(signing_key, approver):
    from tests.helpers import make_user
    from tests.payments.pay_fixtures import approved_shop

    owner = make_user("owner@example.org")
    shop = approved_shop(owner, approver)
    anna = resident("anna@example.org", funded=5_000)
    paid = services.pay_static_shop(user=anna, shop=shop.pk, amount=1_000)
    results = run_together(
        3,
        lambda _: services.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=400),
    )
    assert sorted(type(o).__name__ for o in results) == ["Refund", "Refund", "RefundRefused"]
    paid.refresh_from_db()
    assert paid.refunded == 800
    assert balance(anna.resident.wallet_id) == 5_000 - 1_000 + 800
