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
from ledger.models import Account, Block, Entry, Transfer, TransferKind
from ledger.services import Leg, TransferRequest, legs_between


def raw_transfer(cursor, currency_id: int) -> int:
    cursor.execute(
        "INSERT INTO ledger_transfer (currency_id, kind, idempotency_scope, request_hash, metadata)"
        " VALUES (%s, 'payment', '', 'raw', '{}') RETURNING id",
        [currency_id],
    )
    return cursor.fetchone()[0]


def raw_entry(cursor, transfer_id: int, account: Account, amount: int) -> None:
    cursor.execute(
        "INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)"
        " VALUES (%s, %s, %s, %s, %s)",
        [transfer_id, account.id, amount, account.balance + amount, account.version + 1],
    )


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


# --- Every transfer balances: the deferred constraint trigger ------------------------------


@pytest.fixture
def raw_accounts(open_account):
    """Two accounts in the test currency and two in another one, fresh (version 0)."""
    other = services.currency_get_or_create(code="EUPEN", name="Eupener")
    return {
        "wallet": open_account("wallet"),
        "shop": open_account("shop"),
        "foreign_wallet": services.account_open(currency=other, kind="wallet"),
        "foreign_shop": services.account_open(currency=other, kind="shop"),
    }


def commit_raw_transfers(accounts, transfers, seen):
    """Insert transfers (lists of (account name, amount) legs) by raw SQL in one transaction,
    noting in `seen` what the transaction could see of them just before it commits."""
    with transaction.atomic(), connection.cursor() as cursor:
        ids = []
        for legs in transfers:
            ids.append(raw_transfer(cursor, accounts["wallet"].currency_id))
            for name, amount in legs:
                raw_entry(cursor, ids[-1], accounts[name], amount)
        cursor.execute("SELECT count(*) FROM ledger_entry WHERE transfer_id = ANY(%s)", [ids])
        seen.update(ids=ids, entries=cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "legs",
    [
        pytest.param([("wallet", -100), ("shop", 90)], id="sum-not-zero"),
        pytest.param([("shop", 100)], id="one-entry"),
        pytest.param([("wallet", -100)], id="one-negative-entry"),
        pytest.param([("wallet", -100), ("foreign_shop", 100)], id="two-currencies"),
        pytest.param([("foreign_wallet", -100), ("foreign_shop", 100)], id="not-its-currency"),
        pytest.param([], id="no-entries"),
    ],
)
def test_unbalanced_transfer_is_refused_at_commit_and_leaves_nothing(
    raw_accounts, ledger_snapshot, legs
):
    before = ledger_snapshot()
    seen = {}
    with pytest.raises(IntegrityError, match=r"transfer \d+ does not balance"):
        commit_raw_transfers(raw_accounts, [legs], seen)
    # Every INSERT went through; only COMMIT refused them.
    assert seen["entries"] == len(legs)
    assert not Transfer.objects.filter(pk__in=seen["ids"]).exists()
    assert not Entry.objects.filter(transfer_id__in=seen["ids"]).exists()
    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_balanced_raw_transfer_commits(raw_accounts, assert_ledger_whole):
    """The trigger refuses what does not balance, not raw SQL as such."""
    wallet, shop = raw_accounts["wallet"], raw_accounts["shop"]
    issuer = selectors.issuer_account(currency=wallet.currency)
    with transaction.atomic(), connection.cursor() as cursor:
        transfer_id = raw_transfer(cursor, wallet.currency_id)
        raw_entry(cursor, transfer_id, issuer, -700)
        raw_entry(cursor, transfer_id, wallet, 500)
        raw_entry(cursor, transfer_id, shop, 200)
        cursor.execute(
            "UPDATE ledger_account SET balance = balance + d, version = version + 1"
            " FROM (VALUES (%s::bigint, -700), (%s, 500), (%s, 200)) AS v(id, d)"
            " WHERE ledger_account.id = v.id",
            [issuer.id, wallet.id, shop.id],
        )
    assert Entry.objects.filter(transfer_id=transfer_id).count() == 3
    assert selectors.account_balance(account_id=wallet.id) == 500
    assert_ledger_whole()


@pytest.mark.django_db(transaction=True)
def test_legs_cannot_balance_across_transfers_or_currencies(raw_accounts, ledger_snapshot):
    """Two transfers that each have two legs summing to zero, but each in two currencies,
    committed together: both are refused."""
    before = ledger_snapshot()
    seen = {}
    crossed = [
        [("wallet", -100), ("foreign_shop", 100)],
        [("foreign_wallet", -100), ("shop", 100)],
    ]
    with pytest.raises(IntegrityError, match="does not balance"):
        commit_raw_transfers(raw_accounts, crossed, seen)
    assert seen["entries"] == 4
    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_legs_cannot_be_added_to_a_committed_transfer(open_account, ledger_snapshot):
    """Balanced extra legs slipped into an old transfer would rewrite history: refused."""
    wallet, shop = open_account("wallet", funded=500), open_account("shop", funded=500)
    old = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=100),
    )
    wallet.refresh_from_db()
    shop.refresh_from_db()
    before = ledger_snapshot()

    def add_legs():
        with transaction.atomic(), connection.cursor() as cursor:
            raw_entry(cursor, old.id, wallet, 50)
            raw_entry(cursor, old.id, shop, -50)

    with pytest.raises(IntegrityError, match="legs cannot be added"):
        add_legs()
    assert Entry.objects.filter(transfer=old).count() == 2
    assert ledger_snapshot() == before


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
