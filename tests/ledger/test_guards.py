"""What the database refuses by itself, whatever SQL reaches it, and what every refused request
leaves behind: nothing.

The raw-SQL tests talk to PostgreSQL directly, past `ledger.services`, because the point of the
guards is that no code path can break the ledger, not only the careful one."""

from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import IntegrityError, connection, transaction

from ledger import selectors, services
from ledger.errors import (
    AccountNotOpen,
    AlreadyReversed,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
    NotReversible,
    UnknownAccount,
)
from ledger.models import Block, TransferKind
from ledger.services import Leg, TransferRequest, legs_between


def run_sql(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params=(), match: str = ""):
    """Run one statement in a savepoint and return the IntegrityError it must raise."""
    with pytest.raises(IntegrityError, match=match) as caught:
        run_sql(sql, params)
    return caught.value


@pytest.fixture
def paid(open_account):
    """A wallet that was paid 1,000 and spent 300 at a shop: two transfers, four entries."""
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    payment = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=300),
    )
    return wallet, shop, payment


# --- Append-only tables --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE ledger_entry SET amount = amount * 2", "UPDATE on ledger_entry"),
        ("UPDATE ledger_entry SET balance_after = 0", "UPDATE on ledger_entry"),
        ("DELETE FROM ledger_entry", "DELETE on ledger_entry"),
        ("UPDATE ledger_transfer SET kind = 'mint'", "UPDATE on ledger_transfer"),
        ("UPDATE ledger_transfer SET metadata = '{\"x\": 1}'", "UPDATE on ledger_transfer"),
        ("DELETE FROM ledger_transfer", "DELETE on ledger_transfer"),
        ("DELETE FROM ledger_account", "DELETE on ledger_account"),
    ],
)
def test_ledger_rows_cannot_be_changed_or_removed(paid, ledger_snapshot, sql, refusal):
    before = ledger_snapshot()
    error = refused(sql, match=f"{refusal} is not allowed; the ledger is append-only")
    assert error.__cause__.pgcode == "23000"
    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_committed_ledger_cannot_be_truncated_nor_its_seals_changed(
    paid, seal_all, ledger_snapshot
):
    block = seal_all()
    before = ledger_snapshot()
    for sql, refusal in [
        ("TRUNCATE ledger_entry", "TRUNCATE on ledger_entry"),
        ("TRUNCATE ledger_transfer CASCADE", "TRUNCATE on ledger_transfer"),
        ("TRUNCATE ledger_account CASCADE", "TRUNCATE on ledger_account"),
        ("UPDATE ledger_block SET merkle_root = repeat('0', 64)", "UPDATE on ledger_block"),
        ("UPDATE ledger_block SET signature = ''", "UPDATE on ledger_block"),
        ("DELETE FROM ledger_block", "DELETE on ledger_block"),
        ("TRUNCATE ledger_block", "TRUNCATE on ledger_block"),
    ]:
        refused(sql, match=f"{refusal} is not allowed")
    assert ledger_snapshot() == before
    block_now = Block.objects.get(pk=block.pk)
    assert (block_now.merkle_root, block_now.signature) == (block.merkle_root, block.signature)


# --- Row constraints, checked at once ------------------------------------------------------


def test_wallet_balance_can_never_be_negative(paid, issuer, ledger_snapshot):
    wallet, _, _ = paid
    before = ledger_snapshot()
    refused(
        "UPDATE ledger_account SET balance = -1 WHERE id = %s",
        [wallet.id],
        match="ledger_account_no_overdraft",
    )
    refused(
        "UPDATE ledger_account SET allow_negative = true WHERE id = %s",
        [wallet.id],
        match="ledger_account_only_issuer_negative",
    )
    assert ledger_snapshot() == before
    # The issuer is the one account below zero: minus its balance is the supply.
    assert selectors.account_balance(account_id=issuer.id) == -1_000


def test_entry_amount_zero_is_refused(paid, ledger_snapshot):
    wallet, _, payment = paid
    before = ledger_snapshot()
    refused(
        "INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)"
        " VALUES (%s, %s, 0, 700, 3)",
        [payment.id, wallet.id],
        match="ledger_entry_amount_nonzero",
    )
    assert ledger_snapshot() == before


def test_account_version_is_used_once(paid, ledger_snapshot):
    wallet, _, payment = paid
    before = ledger_snapshot()
    refused(
        "INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)"
        " VALUES (%s, %s, 5, 705, 2)",
        [payment.id, wallet.id],
        match="ledger_entry_account_version",
    )
    assert ledger_snapshot() == before


# --- Refused requests leave no trace -------------------------------------------------------


@pytest.fixture
def world(open_account, issuer):
    """A small ledger with something of every kind a request can trip over."""
    budget = open_account("budget", funded=10_000)
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    frozen = open_account("wallet", funded=500)
    services.account_freeze(account_id=frozen.id, reason="lost phone")
    closed = open_account("wallet")
    services.account_close(account_id=closed.id)
    eupen = services.currency_get_or_create(code="EUPEN", name="Eupener")
    foreign = services.account_open(currency=eupen, kind="shop")
    sale = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=100),
        idempotency_scope="till-1",
        idempotency_key="sale-1",
    )
    refund = services.transfer_reverse(transfer_id=sale.id, reason="wrong amount")
    keyed = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=50),
        idempotency_scope="till-1",
        idempotency_key="sale-2",
    )
    return {
        "issuer": issuer.id,
        "budget": budget.id,
        "wallet": wallet.id,
        "shop": shop.id,
        "frozen": frozen.id,
        "closed": closed.id,
        "foreign": foreign.id,
        "sale": sale.id,
        "refund": refund.id,
        "keyed": keyed.id,
    }


def pay(w, source, destination, amount, **kwargs):
    return services.transfer_post(
        kind=kwargs.pop("kind", TransferKind.PAYMENT),
        legs=legs_between(source_id=w[source], destination_id=w[destination], amount=amount),
        **kwargs,
    )


def post(w, *legs, kind=TransferKind.PAYMENT):
    return services.transfer_post(kind=kind, legs=[Leg(w[name], amount) for name, amount in legs])


REFUSALS = [
    pytest.param(
        lambda w: pay(w, "wallet", "shop", 1_200),
        InsufficientFunds,
        r"Account #{wallet} has 950 but 1200 was asked \(minor units\): 250 short\.",
        id="insufficient-funds",
    ),
    pytest.param(
        lambda w: post(w, ("budget", -100), ("wallet", -1_000), ("shop", 1_100)),
        InsufficientFunds,
        r"Account #{wallet} has 950 but 1000 was asked",
        id="insufficient-funds-multi-leg",
    ),
    pytest.param(
        lambda w: pay(w, "frozen", "shop", 100),
        AccountNotOpen,
        r"Account #{frozen} is frozen",
        id="frozen-pays",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "frozen", 100),
        AccountNotOpen,
        r"Account #{frozen} is frozen",
        id="frozen-receives",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "closed", 100),
        AccountNotOpen,
        r"Account #{closed} is closed",
        id="closed-receives",
    ),
    pytest.param(
        lambda w: services.account_freeze(account_id=w["issuer"]),
        AccountNotOpen,
        None,
        id="issuer-freeze",
    ),
    pytest.param(
        lambda w: services.account_close(account_id=w["wallet"]),
        InvalidTransfer,
        r"still holds 950",
        id="close-nonempty",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "foreign", 100),
        CurrencyMismatch,
        None,
        id="currency-mismatch",
    ),
    pytest.param(
        lambda w: post(w, ("wallet", -100), ("shop", 99)),
        InvalidTransfer,
        "sum to -1",
        id="unbalanced",
    ),
    pytest.param(
        lambda w: post(w, ("wallet", 0), ("shop", 0)), InvalidTransfer, "zero amount", id="zero"
    ),
    pytest.param(
        lambda w: post(w, ("wallet", -100)),
        InvalidTransfer,
        "at least two legs",
        id="negative-to-nowhere",
    ),
    pytest.param(
        lambda w: post(w, ("shop", 100)), InvalidTransfer, "at least two legs", id="from-nowhere"
    ),
    pytest.param(
        lambda w: post(w, ("wallet", -100), ("budget", -100)),
        InvalidTransfer,
        "sum to -200",
        id="two-payers-no-payee",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "wallet", 100),
        InvalidTransfer,
        "appears twice",
        id="same-account-twice",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "shop", 1.5), InvalidTransfer, "whole minor units", id="float"
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "shop", 100.0),
        InvalidTransfer,
        "whole minor units",
        id="integral-float",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "shop", Decimal("100")),
        InvalidTransfer,
        "whole minor units",
        id="decimal",
    ),
    pytest.param(
        lambda w: services.transfer_post(
            kind=TransferKind.PAYMENT,
            legs=[Leg(w["wallet"], cast(Any, "-100")), Leg(w["shop"], cast(Any, "100"))],
        ),
        InvalidTransfer,
        "whole minor units",
        id="string",
    ),
    pytest.param(
        lambda w: post(w, ("wallet", -1), ("shop", True)),
        InvalidTransfer,
        "whole minor units",
        id="bool",
    ),
    pytest.param(
        lambda w: pay(w, "issuer", "wallet", 10**16), InvalidTransfer, "out of range", id="huge"
    ),
    pytest.param(
        lambda w: post(w, ("wallet", -100), ("shop", 100), kind="gift"),
        InvalidTransfer,
        "Unknown transfer kind",
        id="unknown-kind",
    ),
    pytest.param(
        lambda w: services.transfer_post(
            kind=TransferKind.PAYMENT, legs=[Leg(w["wallet"], -100), Leg(10**12, 100)]
        ),
        UnknownAccount,
        r"No ledger account #1000000000000\.",
        id="unknown-account",
    ),
    pytest.param(
        lambda w: services.transfer_post(
            kind=TransferKind.PAYMENT, legs=[Leg(w["wallet"], -100), Leg(2**63, 100)]
        ),
        (UnknownAccount, InvalidTransfer),
        None,
        id="account-id-beyond-bigint",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "shop", 100, metadata={"rating": float("nan")}),
        InvalidTransfer,
        "Metadata must be JSON",
        id="metadata-nan",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "shop", 100, metadata={"note": "broken\x00note"}),
        InvalidTransfer,
        "Metadata",
        id="metadata-nul-character",
    ),
    pytest.param(
        lambda w: pay(w, "wallet", "shop", 100, metadata={"when": object()}),
        InvalidTransfer,
        "Metadata must be JSON",
        id="metadata-not-json",
    ),
    pytest.param(
        lambda w: pay(
            w, "wallet", "shop", 60, idempotency_scope="till-1", idempotency_key="sale-2"
        ),
        IdempotencyConflict,
        r"till-1:sale-2 was already used for a different request \(transfer #{keyed}\)",
        id="idempotency-conflict",
    ),
    pytest.param(
        lambda w: services.transfer_reverse(transfer_id=w["sale"]),
        AlreadyReversed,
        None,
        id="already-reversed",
    ),
    pytest.param(
        lambda w: services.transfer_reverse(transfer_id=w["refund"]),
        NotReversible,
        "is a reversal",
        id="reverse-a-reversal",
    ),
    pytest.param(
        lambda w: services.transfer_reverse(transfer_id=10**12),
        NotReversible,
        "No transfer",
        id="reverse-missing",
    ),
    pytest.param(
        lambda w: services.transfers_post_batch(
            requests=[
                TransferRequest(
                    kind="payout",
                    legs=legs_between(
                        source_id=w["budget"], destination_id=w["wallet"], amount=5_000
                    ),
                ),
                TransferRequest(
                    kind="payment",
                    legs=legs_between(
                        source_id=w["wallet"], destination_id=w["shop"], amount=5_900
                    ),
                ),
                TransferRequest(
                    kind="payment",
                    legs=legs_between(source_id=w["wallet"], destination_id=w["shop"], amount=100),
                ),
            ]
        ),
        InsufficientFunds,
        r"Account #{wallet} has 50 but 100 was asked",
        id="batch-fails-as-a-whole",
    ),
    pytest.param(
        lambda w: services.transfers_post_batch(
            requests=[
                TransferRequest(
                    kind="payout",
                    legs=legs_between(source_id=w["budget"], destination_id=w["wallet"], amount=5),
                    idempotency_key="dup",
                ),
                TransferRequest(
                    kind="payout",
                    legs=legs_between(source_id=w["budget"], destination_id=w["shop"], amount=5),
                    idempotency_key="dup",
                ),
            ]
        ),
        InvalidTransfer,
        "share an idempotency key",
        id="batch-duplicate-keys",
    ),
]


@pytest.mark.parametrize(("request_", "error", "message"), REFUSALS)
def test_a_refused_request_changes_nothing(world, ledger_snapshot, request_, error, message):
    before = ledger_snapshot()
    with pytest.raises(error) as caught:
        request_(world)
    if message:
        assert caught.match(message.format(**world))
    assert caught.value.message == str(caught.value)
    assert ledger_snapshot() == before


def test_refused_requests_leave_the_ledger_usable(world, ledger_snapshot):
    """After a refusal the same accounts still post normally: no lock or half-write lingers."""
    with pytest.raises(InsufficientFunds):
        pay(world, "wallet", "shop", 10_000)
    transfer = pay(world, "wallet", "shop", 950)
    assert transfer.entries.count() == 2
    assert selectors.account_balance(account_id=world["wallet"]) == 0
    assert selectors.account_balance(account_id=world["shop"]) == 1_000
