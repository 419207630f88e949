"""Every transfer balances, whatever SQL writes it: the statement triggers of migration
0006_same_statement_guards, checked by raw SQL on PostgreSQL, past `ledger.services`.

A transfer and its entries are written by one statement; at its end, every transfer the
statement touched must have >= 2 entries, summing to zero, all in the transfer's currency, and
belong to this transaction. A refusal leaves nothing behind."""

import pytest
from django.db import IntegrityError, connection, transaction

from ledger import selectors, services
from ledger.models import Account, Entry, Transfer

# Transfers numbered 1..n and their legs, written by one statement. Transfer ids come from the
# sequence in the order of generate_series, so row_number() over them gives back each number.
_TRANSFERS_AND_ENTRIES = """
WITH t AS (
    INSERT INTO ledger_transfer (currency_id, kind, idempotency_scope, request_hash, metadata)
    SELECT %s, 'payment', '', 'raw-' || n, '{}' FROM generate_series(1, %s) AS n
    RETURNING id
), numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM t
)
INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)
SELECT numbered.id, leg.account_id, leg.amount, leg.balance_after, leg.version
  FROM numbered
  JOIN unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])
       AS leg(n, account_id, amount, balance_after, version) ON leg.n = numbered.n
"""

_ENTRY = (
    "INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)"
    " VALUES (%s, %s, %s, %s, %s)"
)


class RawWriter:
    """Writes transfers and legs by raw SQL in the caller's transaction, keeping each account's
    balance_after and account_version right, and moves the cached balances at the end."""

    def __init__(self, cursor, accounts: dict[str, Account]):
        self.cursor = cursor
        self.accounts = accounts
        self.state = {a.id: [a.balance, a.version] for a in accounts.values()}

    def _leg(self, name: str, amount: int) -> tuple[int, int, int, int]:
        account_id = self.accounts[name].id
        balance_version = self.state[account_id]
        balance_version[0] += amount
        balance_version[1] += 1
        return account_id, amount, balance_version[0], balance_version[1]

    def transfers(self, transfers: list[list[tuple[str, int]]], currency: str = "wallet") -> None:
        """All `transfers` (lists of (account name, amount) legs) in one statement."""
        columns: list[list[int]] = [[], [], [], [], []]
        for number, legs in enumerate(transfers, start=1):
            for name, amount in legs:
                for column, value in zip(columns, (number, *self._leg(name, amount)), strict=True):
                    column.append(value)
        self.cursor.execute(
            _TRANSFERS_AND_ENTRIES,
            [self.accounts[currency].currency_id, len(transfers), *columns],
        )

    def transfer(self, legs: list[tuple[str, int]]) -> int:
        self.transfers([legs])
        self.cursor.execute("SELECT max(id) FROM ledger_transfer")
        return self.cursor.fetchone()[0]

    def legs(self, transfer_id: int, legs: list[tuple[str, int]]) -> None:
        """Legs for an existing transfer, in one later statement."""
        rows = [(transfer_id, *self._leg(name, amount)) for name, amount in legs]
        self.cursor.execute(
            "INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after,"
            " account_version) SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[],"
            " %s::bigint[], %s::bigint[])",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def move_balances(self) -> None:
        for account_id, (balance, version) in self.state.items():
            self.cursor.execute(
                "UPDATE ledger_account SET balance = %s, version = %s"
                " WHERE id = %s AND version <> %s",
                [balance, version, account_id, version],
            )


@pytest.fixture
def raw_accounts(open_account, issuer):
    """The issuer, three accounts in the test currency (a budget holding 1,000) and two in
    another currency."""
    other = services.currency_get_or_create(code="EUPEN", name="Eupener")
    budget = open_account("budget", funded=1_000)
    return {
        "issuer": Account.objects.get(pk=issuer.pk),
        "budget": budget,
        "wallet": open_account("wallet"),
        "shop": open_account("shop"),
        "foreign_wallet": services.account_open(currency=other, kind="wallet"),
        "foreign_shop": services.account_open(currency=other, kind="shop"),
    }


def write(accounts, steps) -> None:
    """Run `steps(writer)` in one transaction and commit it, cached balances moved."""
    with transaction.atomic(), connection.cursor() as cursor:
        writer = RawWriter(cursor, accounts)
        steps(writer)
        writer.move_balances()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("legs", "refusal"),
    [
        pytest.param([("wallet", -100), ("shop", 90)], "2 entries, sum -10, 0", id="sum-not-zero"),
        pytest.param([("shop", 100)], "1 entries, sum 100, 0", id="one-entry"),
        pytest.param([("wallet", -100)], "1 entries, sum -100, 0", id="one-negative-entry"),
        pytest.param(
            [("issuer", -100), ("foreign_shop", 100)], "2 entries, sum 0, 1", id="two-currencies"
        ),
        pytest.param(
            [("foreign_wallet", -100), ("foreign_shop", 100)],
            "2 entries, sum 0, 2",
            id="not-its-currency",
        ),
        pytest.param(
            [("issuer", -100), ("wallet", 100), ("foreign_wallet", -7), ("foreign_shop", 7)],
            "4 entries, sum 0, 2",
            id="balanced-in-each-currency",
        ),
    ],
)
def test_an_unbalanced_transfer_is_refused_by_its_statement(
    raw_accounts, ledger_snapshot, legs, refusal
):
    before = ledger_snapshot()
    with pytest.raises(
        IntegrityError, match=rf"transfer \d+ does not balance \({refusal} in another currency\)"
    ):
        write(raw_accounts, lambda w: w.transfers([legs]))
    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_a_balanced_raw_transfer_commits(raw_accounts, assert_ledger_whole):
    """The triggers refuse what does not balance, not raw SQL as such."""
    legs = [("issuer", -100), ("wallet", 40), ("shop", 60)]
    write(raw_accounts, lambda w: w.transfers([legs]))
    assert Entry.objects.filter(transfer=Transfer.objects.latest("id")).count() == 3
    assert selectors.account_balance(account_id=raw_accounts["wallet"].id) == 40
    assert selectors.account_balance(account_id=raw_accounts["shop"].id) == 60
    assert_ledger_whole()


@pytest.mark.django_db(transaction=True)
def test_a_transfer_inserted_alone_is_refused_even_if_its_legs_follow(
    raw_accounts, ledger_snapshot
):
    """The old two-statement way: the transfer's statement ends without entries: refused,
    before the legs that would have balanced it are written."""
    before = ledger_snapshot()

    def transfer_then_legs(writer):
        writer.cursor.execute(
            "INSERT INTO ledger_transfer (currency_id, kind, idempotency_scope, request_hash,"
            " metadata) VALUES (%s, 'payment', '', 'alone', '{}') RETURNING id",
            [raw_accounts["wallet"].currency_id],
        )
        writer.legs(writer.cursor.fetchone()[0], [("issuer", -5), ("wallet", 5)])

    with pytest.raises(IntegrityError, match=r"transfer \d+ has no entries; write a transfer"):
        write(raw_accounts, transfer_then_legs)
    # The same through the one-statement form, with no legs at all.
    with pytest.raises(IntegrityError, match=r"transfer \d+ has no entries"):
        write(raw_accounts, lambda w: w.transfers([[("issuer", -5), ("wallet", 5)], []]))
    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_legs_added_later_in_the_transaction_are_checked_over_the_whole_transfer(
    raw_accounts, ledger_snapshot, assert_ledger_whole
):
    before = ledger_snapshot()

    def one_more_leg(writer):
        transfer_id = writer.transfer([("issuer", -100), ("wallet", 100)])
        writer.legs(transfer_id, [("shop", 50)])

    with pytest.raises(IntegrityError, match=r"does not balance \(3 entries, sum 50, 0 in"):
        write(raw_accounts, one_more_leg)

    def foreign_pair(writer):
        transfer_id = writer.transfer([("issuer", -100), ("wallet", 100)])
        writer.legs(transfer_id, [("foreign_wallet", -5), ("foreign_shop", 5)])

    with pytest.raises(IntegrityError, match=r"\(4 entries, sum 0, 2 in another currency\)"):
        write(raw_accounts, foreign_pair)
    assert ledger_snapshot() == before

    # Balanced legs added by a later statement of the same transaction are accepted.
    def balanced_pair(writer):
        transfer_id = writer.transfer([("issuer", -100), ("wallet", 100)])
        writer.legs(transfer_id, [("budget", -30), ("shop", 30)])

    write(raw_accounts, balanced_pair)
    assert selectors.account_balance(account_id=raw_accounts["wallet"].id) == 100
    assert selectors.account_balance(account_id=raw_accounts["budget"].id) == 970
    assert selectors.account_balance(account_id=raw_accounts["shop"].id) == 30
    assert_ledger_whole()


@pytest.mark.django_db(transaction=True)
def test_legs_cannot_be_added_to_an_earlier_transactions_transfer(
    raw_accounts, ledger_snapshot, assert_ledger_whole
):
    """Balanced extra legs slipped into an old transfer would rewrite history: refused, also
    when they come with a new transfer in the same transaction."""
    write(raw_accounts, lambda w: w.transfers([[("issuer", -500), ("wallet", 500)]]))
    old = Transfer.objects.latest("id")
    accounts = {name: Account.objects.get(pk=a.pk) for name, a in raw_accounts.items()}
    before = ledger_snapshot()

    with pytest.raises(IntegrityError, match=rf"transfer {old.id} was written by an earlier"):
        write(accounts, lambda w: w.legs(old.id, [("wallet", -50), ("shop", 50)]))

    def new_and_old(writer):
        writer.transfer([("wallet", -10), ("shop", 10)])
        writer.legs(old.id, [("wallet", -50), ("shop", 50)])

    with pytest.raises(IntegrityError, match="legs cannot be added"):
        write(accounts, new_and_old)
    assert Entry.objects.filter(transfer=old).count() == 2
    assert ledger_snapshot() == before
    assert_ledger_whole()


@pytest.mark.django_db(transaction=True)
def test_legs_of_a_missing_transfer_are_refused(raw_accounts, ledger_snapshot):
    before = ledger_snapshot()
    with pytest.raises(IntegrityError, match=r"transfer 999999999 does not exist"):
        write(raw_accounts, lambda w: w.legs(999_999_999, [("issuer", -5), ("wallet", 5)]))
    assert ledger_snapshot() == before


def batch(bad: int | None) -> list[list[tuple[str, int]]]:
    """200 payouts of 1 issuer -> wallet; number `bad` pays the shop 1 too many."""
    return [
        [("issuer", -1), ("wallet", 1)] if n != bad else [("issuer", -1), ("shop", 2)]
        for n in range(200)
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bad", [0, 137, 199])
def test_one_bad_transfer_refuses_its_whole_statement(
    raw_accounts, ledger_snapshot, assert_ledger_whole, bad
):
    before = ledger_snapshot()
    with pytest.raises(IntegrityError, match=r"\(2 entries, sum 1, 0 in another currency\)"):
        write(raw_accounts, lambda w: w.transfers(batch(bad)))
    assert ledger_snapshot() == before

    write(raw_accounts, lambda w: w.transfers(batch(None)))
    assert Transfer.objects.count() == len(before["transfers"]) + 200
    assert selectors.account_balance(account_id=raw_accounts["wallet"].id) == 200
    assert_ledger_whole()
