"""The one journal writer: hledger and beancount write the same things in the same order (a
header, a commodity per currency, a declaration per account, a transaction per transfer, the
closing balance assertions); a `JournalFormat` says how each of them looks in one format."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from .names import compact_json, format_minor, journal_account_name
from .reading import (
    ACCOUNTS_SQL,
    BALANCES_SQL,
    AccountRow,
    Counter,
    CurrencyRow,
    TextSink,
    TransferRow,
    accounts,
    transfers,
)

# The first lines of both journals.
JOURNAL_HEADER = (
    "; The whole ledger, one consistent snapshot, written by `manage.py ledger_export`.\n"
    "; Amounts are in tokens; the issuer's balance is minus the supply in circulation.\n"
)


def write_transfers(
    out: TextSink,
    currencies: dict[int, CurrencyRow],
    n: Counter,
    transaction: Callable[[TransferRow], str],
) -> date:
    """Each transfer as `transaction` writes it, counted in `n`; returns the day the closing
    balance assertions are dated: the day after everything written (or after today)."""
    for t in transfers(currencies):
        n.saw_transfer(t)
        out.write(transaction(t))
    return (n.last_date or datetime.now(UTC).date()) + timedelta(days=1)


def postings(t: TransferRow) -> Iterator[tuple[str, str]]:
    """Each leg of a transfer: its journal account name and its amount in tokens."""
    for leg in t.legs:
        name = journal_account_name(
            kind=leg.account_kind, account_id=leg.account_id, currency_code=t.currency.code
        )
        yield name, format_minor(amount=leg.amount, decimals=t.currency.decimals)


def account_name(a: AccountRow) -> str:
    return journal_account_name(kind=a.kind, account_id=a.id, currency_code=a.currency.code)


def transfer_fields(t: TransferRow) -> list[tuple[str, int | str]]:
    """What both journal formats record about a transfer, before each format's escaping."""
    fields: list[tuple[str, int | str]] = [
        ("transfer_id", t.id),
        ("kind", t.kind),
        ("created_at", t.created_at),
    ]
    if t.reverses_id is not None:
        fields.append(("reverses", t.reverses_id))
    if t.reversed_by_id is not None:
        fields.append(("reversed_by", t.reversed_by_id))
    if t.idempotency_key is not None:
        fields.append(("idempotency_scope", t.idempotency_scope))
        fields.append(("idempotency_key", t.idempotency_key))
    if t.metadata != "{}":
        fields.append(("metadata", compact_json(t.metadata)))
    return fields


class JournalFormat(ABC):
    """How one journal format writes each part of the journal; `write` writes them in order."""

    preamble: ClassVar[str]  # after JOURNAL_HEADER
    # Beancount opens each account on a date (its first use, if earlier than its creation), and
    # the closing balances must come after every opening; hledger declares accounts undated.
    dated_accounts: ClassVar[bool] = False

    @abstractmethod
    def commodity(self, c: CurrencyRow) -> str: ...

    @abstractmethod
    def account(self, a: AccountRow) -> str: ...

    @abstractmethod
    def transaction(self, t: TransferRow) -> str: ...

    @abstractmethod
    def closing(self, when: date, n: Counter, balances: Iterable[AccountRow]) -> Iterator[str]:
        """The closing balance assertions, dated `when`, of the accounts in currency, id order."""

    def write(self, out: TextSink, currencies: dict[int, CurrencyRow], n: Counter) -> None:
        """The whole ledger to `out` as a journal in this format, counted in `n`."""
        out.write(JOURNAL_HEADER + self.preamble)
        for c in sorted(currencies.values(), key=lambda c: c.code):
            out.write(self.commodity(c))
        out.write("\n")
        for a in accounts(ACCOUNTS_SQL if self.dated_accounts else BALANCES_SQL, currencies):
            n.accounts += 1
            if self.dated_accounts:
                n.saw_date(a.opened_on)
            out.write(self.account(a))
        when = write_transfers(out, currencies, n, self.transaction)
        for text in self.closing(when, n, accounts(BALANCES_SQL, currencies)):
            out.write(text)
