"""The ledger as a beancount journal, checked by `bean-check`."""

from collections.abc import Iterable, Iterator
from datetime import date

from .journal import JournalFormat, account_name, postings, transfer_fields
from .names import format_minor, utc
from .reading import AccountRow, Counter, CurrencyRow, TransferRow


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


class Beancount(JournalFormat):
    preamble = 'option "title" "Ledger export"\n\n'
    dated_accounts = True

    def commodity(self, c: CurrencyRow) -> str:
        return (
            f"{utc(c.created_at).date().isoformat()} commodity {c.code}\n"
            f"  name: {_bean_string(c.name)}\n"
            f"  decimals: {c.decimals}\n"
        )

    def account(self, a: AccountRow) -> str:
        return (
            f"{a.opened_on.isoformat()} open {account_name(a)} {a.currency.code}\n"
            f"  ledger-account-id: {a.id}\n"
            f"  kind: {_bean_string(a.kind)}\n"
            f"  name: {_bean_string(a.name)}\n"
            f"  status: {_bean_string(a.status)}\n"
        )

    def transaction(self, t: TransferRow) -> str:
        links = ""
        if t.reverses_id is not None or t.reversed_by_id is not None:
            links = f" ^transfer-{t.reverses_id or t.id}"  # an original and its reversal, linked
        lines = [f"\n{t.day.isoformat()} * {_bean_string(f'{t.kind} #{t.id}')} #{t.kind}{links}"]
        for name, value in transfer_fields(t):
            shown = str(value) if isinstance(value, int) else _bean_string(value)
            lines.append(f"  {name.replace('_', '-')}: {shown}")
        lines.extend(f"  {name}  {amount} {t.currency.code}" for name, amount in postings(t))
        return "\n".join(lines) + "\n"

    def closing(self, when: date, n: Counter, balances: Iterable[AccountRow]) -> Iterator[str]:
        # Beancount checks a balance at the start of its day: the day after everything written.
        # It would tolerate a difference of one minor unit by default; `~ 0` makes it exact.
        yield f"\n; Balances after transfer #{n.last_transfer_id or 0}, exact (~ 0).\n"
        for a in balances:
            amount = format_minor(amount=a.balance, decimals=a.currency.decimals)
            yield f"{when.isoformat()} balance {account_name(a)}  {amount} ~ 0 {a.currency.code}\n"


write_beancount = Beancount().write
