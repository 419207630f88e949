"""Names and numbers as the exports write them: amounts, journal account names, UTC times."""

import json
import re
from datetime import UTC, datetime

from ledger.models import AccountKind

_ACCOUNT_PREFIX: dict[str, str] = {
    AccountKind.ISSUER: "Equity:Issuer",
    AccountKind.BUDGET: "Assets:Budget",
    AccountKind.WALLET: "Assets:Wallet",
    AccountKind.SHOP: "Assets:Shop",
    AccountKind.SETTLEMENT: "Assets:Settlement",
    AccountKind.EXPIRY: "Assets:Expiry",
    AccountKind.FUND: "Assets:Fund",
    AccountKind.VOUCHER: "Assets:Voucher",
}


def format_minor(*, amount: int, decimals: int) -> str:
    """`amount` minor units as a decimal string with exactly `decimals` places: -5, 2 -> "-0.05"."""
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}" if decimals else f"{sign}{whole}"


def journal_account_name(*, kind: str, account_id: int, currency_code: str) -> str:
    """The account's name in a journal, valid for beancount and hledger alike.

    The issuer, one per currency, is `Equity:Issuer:<CODE>`; any other account is
    `Assets:<Kind>:A<id>`, unique through the id.
    """
    if kind == AccountKind.ISSUER:
        return f"{_ACCOUNT_PREFIX[kind]}:{currency_code}"
    prefix = _ACCOUNT_PREFIX.get(kind)
    if prefix is None:  # a kind added to the model after this mapping: still a valid name
        component = re.sub(r"[^A-Za-z0-9]", "", kind).capitalize()
        prefix = f"Assets:{component if component[:1].isalpha() else 'Other'}"
    return f"{prefix}:A{account_id}"


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def compact_json(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
