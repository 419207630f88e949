"""The ledger as an hledger journal, checked by `hledger check`."""

from datetime import UTC, datetime, timedelta

from .names import format_minor
from .reading import (
    BALANCES_SQL,
    Counter,
    CurrencyRow,
    TextSink,
    TransferRow,
    account_name,
    accounts,
    posting_name,
    transfer_fields,
    transfers,
)


def _tag_value(value: str) -> str:
    """An hledger tag value: it would end at a comma or a line break, so those are %-escaped."""
    return (
        value.replace("%", "%25")
        .replace(",", "%2C")
        .replace("\n", "%0A")
        .replace("\r", "%0D")
        .strip()
    )


def _hledger_commodity(code: str) -> str:
    """hledger wants symbols with anything but letters in double quotes."""
    return code if code.isalpha() else f'"{code}"'


def write_hledger(out: TextSink, currencies: dict[int, CurrencyRow], n: Counter) -> None:
    out.write(
        "; The whole ledger, one consistent snapshot, written by `manage.py ledger_export`.\n"
        "; Amounts are in tokens; the issuer's balance is minus the supply in circulation.\n"
        "; Tag values have %, commas and line breaks %-escaped.\n"
        "decimal-mark .\n\n"
    )
    for c in sorted(currencies.values(), key=lambda c: c.code):
        sample = format_minor(amount=1000 * 10**c.decimals, decimals=c.decimals)
        out.write(
            f"commodity {sample} {_hledger_commodity(c.code)}  ; name: {_tag_value(c.name)}\n"
        )
    out.write("\n")
    for a in accounts(BALANCES_SQL, currencies):
        n.accounts += 1
        out.write(
            f"account {account_name(a)}  ; ledger_account_id: {a.id}, kind: {_tag_value(a.kind)}, "
            f"status: {_tag_value(a.status)}, name: {_tag_value(a.name)}\n"
        )
    for t in transfers(currencies):
        n.saw_transfer(t)
        out.write(_hledger_transaction(t))
    when = (n.last_date or datetime.now(UTC).date()) + timedelta(days=1)
    current: CurrencyRow | None = None
    for a in accounts(BALANCES_SQL, currencies):
        if a.currency is not current:
            current = a.currency
            out.write(
                f"\n{when.isoformat()} * closing balance assertions {current.code}\n"
                f"    ; after transfer #{n.last_transfer_id or 0}\n"
            )
        symbol = _hledger_commodity(a.currency.code)
        zero = format_minor(amount=0, decimals=a.currency.decimals)
        amount = format_minor(amount=a.balance, decimals=a.currency.decimals)
        out.write(f"    {account_name(a)}  {zero} {symbol} = {amount} {symbol}\n")


def _hledger_transaction(t: TransferRow) -> str:
    tags = [
        f"{name}: {value if isinstance(value, int) else _tag_value(value)}"
        for name, value in transfer_fields(t)
    ]
    symbol = _hledger_commodity(t.currency.code)
    lines = [f"\n{t.day.isoformat()} * {t.kind} #{t.id}"]
    lines.extend(f"    ; {tag}" for tag in tags)
    for leg in t.legs:
        amount = format_minor(amount=leg.amount, decimals=t.currency.decimals)
        lines.append(f"    {posting_name(t, leg)}  {amount} {symbol}")
    return "\n".join(lines) + "\n"
