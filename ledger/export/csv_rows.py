"""The ledger as CSV: one row per entry under `CSV_HEADER`, amounts as decimal strings."""

import csv

from django.db import connection

from .names import format_minor
from .reading import Counter, CurrencyRow, TextSink, transfers

CSV_HEADER = (
    "transfer_id",
    "created_at",
    "kind",
    "currency",
    "account_id",
    "account_kind",
    "amount",
    "balance_after",
    "account_version",
    "reverses_id",
    "idempotency_scope",
    "idempotency_key",
)


def write_csv(out: TextSink, currencies: dict[int, CurrencyRow], n: Counter) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for t in transfers(currencies):
        n.saw_transfer(t)
        decimals = t.currency.decimals
        writer.writerows(
            (
                t.id,
                t.created_at,
                t.kind,
                t.currency.code,
                leg.account_id,
                leg.account_kind,
                format_minor(amount=leg.amount, decimals=decimals),
                format_minor(amount=leg.balance_after, decimals=decimals),
                leg.account_version,
                "" if t.reverses_id is None else t.reverses_id,
                t.idempotency_scope,
                t.idempotency_key or "",
            )
            for leg in t.legs
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_account")
        (n.accounts,) = cursor.fetchone()
