"""The ledger as an hledger journal, checked by `hledger check`."""

from .names import format_minor
from .reading import (
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
    out.write(JOURNAL_HEADER)
    out.write("; Tag values have %, commas and line breaks %-escaped.\ndecimal-mark .\n\n")
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
    when = write_transfers(out, currencies, n, _hledger_transaction)
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
    lines.extend(f"    {name}  {amount} {symbol}" for name, amount in postings(t))
    return "\n".join(lines) + "\n"
