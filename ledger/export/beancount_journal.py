"""The ledger as a beancount journal, checked by `bean-check`."""

from .names import format_minor, utc
from .reading import (
    ACCOUNTS_SQL,
    BALANCES_SQL,
    JOURNAL_HEADER,
    Counter,
    CurrencyRow,
    TextSink,
    TransferRow,
    account_name,
    accounts,
    postings,
    transfer_fields,
    write_transfers,
)


def _bean_string(value: str) -> str:
    """A beancount string literal: quotes, backslashes and line breaks escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def write_beancount(out: TextSink, currencies: dict[int, CurrencyRow], n: Counter) -> None:
    out.write(JOURNAL_HEADER + 'option "title" "Ledger export"\n\n')
    for c in sorted(currencies.values(), key=lambda c: c.code):
        out.write(
            f"{utc(c.created_at).date().isoformat()} commodity {c.code}\n"
            f"  name: {_bean_string(c.name)}\n"
            f"  decimals: {c.decimals}\n"
        )
    out.write("\n")
    for a in accounts(ACCOUNTS_SQL, currencies):
        n.accounts += 1
        n.saw_date(a.opened_on)
        out.write(
            f"{a.opened_on.isoformat()} open {account_name(a)} {a.currency.code}\n"
            f"  ledger-account-id: {a.id}\n"
            f"  kind: {_bean_string(a.kind)}\n"
            f"  name: {_bean_string(a.name)}\n"
            f"  status: {_bean_string(a.status)}\n"
        )
    # Beancount checks a balance at the start of its day: the day after everything written. It
    # would tolerate a difference of one minor unit by default; `~ 0` makes the check exact.
    when = write_transfers(out, currencies, n, _beancount_transaction)
    out.write(f"\n; Balances after transfer #{n.last_transfer_id or 0}, exact (~ 0).\n")
    for a in accounts(BALANCES_SQL, currencies):
        amount = format_minor(amount=a.balance, decimals=a.currency.decimals)
        out.write(f"{when.isoformat()} balance {account_name(a)}  {amount} ~ 0 {a.currency.code}\n")


def _beancount_transaction(t: TransferRow) -> str:
    links = ""
    if t.reverses_id is not None or t.reversed_by_id is not None:
        links = f" ^transfer-{t.reverses_id or t.id}"  # an original and its reversal, linked
    lines = [f"\n{t.day.isoformat()} * {_bean_string(f'{t.kind} #{t.id}')} #{t.kind}{links}"]
    for name, value in transfer_fields(t):
        shown = str(value) if isinstance(value, int) else _bean_string(value)
        lines.append(f"  {name.replace('_', '-')}: {shown}")
    lines.extend(f"  {name}  {amount} {t.currency.code}" for name, amount in postings(t))
    return "\n".join(lines) + "\n"
