"""The ledger as an hledger journal, checked by `hledger check`."""

from collections.abc import Iterable, Iterator
from datetime import date

from .journal import JournalFormat, account_name, postings, transfer_fields
from .names import format_minor
from .reading import AccountRow, Counter, CurrencyRow, TransferRow


def _tag_value(value: str) -> str:
    """An hledger tag value: it would end at a comma or a line break, so those are %-escaped."""
    return (
        value.replace("%", "%25")
        .replace(",", "%2C")
        .replace("\n", "%0A")
        .replace("\r", "%0D")
        .strip()
    )


def _hledger_symbol(code: str) -> str:
    """hledger wants symbols with anything but letters in double quotes."""
    return code if code.isalpha() else f'"{code}"'


class Hledger(JournalFormat):
    preamble = "; Tag values have %, commas and line breaks %-escaped.\ndecimal-mark .\n\n"

    def commodity(self, c: CurrencyRow) -> str:
        sample = format_minor(amount=1000 * 10**c.decimals, decimals=c.decimals)
        return f"commodity {sample} {_hledger_symbol(c.code)}  ; name: {_tag_value(c.name)}\n"

    def account(self, a: AccountRow) -> str:
        return (
            f"account {account_name(a)}  ; ledger_account_id: {a.id}, kind: {_tag_value(a.kind)}, "
            f"status: {_tag_value(a.status)}, name: {_tag_value(a.name)}\n"
        )

    def transaction(self, t: TransferRow) -> str:
        tags = [
            f"{name}: {value if isinstance(value, int) else _tag_value(value)}"
            for name, value in transfer_fields(t)
        ]
        symbol = _hledger_symbol(t.currency.code)
        lines = [f"\n{t.day.isoformat()} * {t.kind} #{t.id}"]
        lines.extend(f"    ; {tag}" for tag in tags)
        lines.extend(f"    {name}  {amount} {symbol}" for name, amount in postings(t))
        return "\n".join(lines) + "\n"

    def closing(self, when: date, n: Counter, balances: Iterable[AccountRow]) -> Iterator[str]:
        """One closing transaction per currency, asserting each account's balance."""
        current: CurrencyRow | None = None
        for a in balances:
            if a.currency is not current:
                current = a.currency
                yield (
                    f"\n{when.isoformat()} * closing balance assertions {current.code}\n"
                    f"    ; after transfer #{n.last_transfer_id or 0}\n"
                )
            symbol = _hledger_symbol(a.currency.code)
            zero = format_minor(amount=0, decimals=a.currency.decimals)
            amount = format_minor(amount=a.balance, decimals=a.currency.decimals)
            yield f"    {account_name(a)}  {zero} {symbol} = {amount} {symbol}\n"


write_hledger = Hledger().write
