"""The staff lists on 1,000,000 rows: the SQL each paginator runs, OFFSET (before) against the
cursor (after). Prints a Markdown table, not a pass/fail test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heitje \\
        .venv/bin/python bench/staff_lists_bench.py

In a database of its own (heitje_staff_lists_bench: created, migrated by Django, dropped at the
end), 1,000,000 residents (the newest 10 % not verified), shops (the newest 3 % pending, 1 %
asking for a new name) and settlements (the newest 2 % requested), three to a second. For each
list and filter, the first and the deepest page of 50: `core.api.Page` on the order the lists
had before (with its count), and `core.api.KeysetPage` on today's; the execution time of each
statement from EXPLAIN ANALYZE, three runs. Figures: docs/performance.md ("Staff lists").
"""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bench_db  # noqa: E402

DATABASE = "heitje_staff_lists_bench"
ROWS = 1_000_000

# The foreign keys go (nothing else is in these tables), so the rows need no wallets or accounts.
SEED = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint WHERE contype = 'f'
    AND conrelid::regclass::text IN
      ('accounts_residentprofile', 'accounts_shop', 'payments_settlement')
  LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname); END LOOP;
END $$;
INSERT INTO accounts_user (password, is_superuser, email, display_name, is_active, is_staff,
  date_joined, preferred_language, staff_digest)
SELECT '!', false, 'person' || n || '@example.org',
  (ARRAY['Anna','Bert','Cor','Dirk','Els','Fien'])[1 + n % 6] || ' ' || md5(n::text)::varchar(8),
  true, false, timestamptz '2024-01-01' + (n / 3) * interval '90 seconds', 'nl', false
FROM generate_series(1, {rows}) AS n;
INSERT INTO accounts_residentprofile (residency_verified_at, user_id, wallet_id, residency_method)
SELECT CASE WHEN n <= {rows} * 0.9 THEN timestamptz '2024-01-02' END, n, n, 'staff'
FROM generate_series(1, {rows}) AS n;
INSERT INTO accounts_shop (name, address, category, iban, chamber_of_commerce, status,
  created_at, status_reason, account_id, created_by_id, change_requested_at, pending_address,
  pending_name, what_we_sell)
SELECT 'Winkel ' || n, 'Markt ' || n, 'bakery', 'NL91ABNA0417164300', '',
  CASE WHEN n > {rows} * 0.97 THEN 'pending' ELSE 'approved' END,
  timestamptz '2024-01-01' + (n / 3) * interval '90 seconds', '', n, n,
  CASE WHEN n % 100 = 0 THEN timestamptz '2026-01-01' + (n / 3) * interval '1 second' END,
  '', '', ''
FROM generate_series(1, {rows}) AS n;
INSERT INTO payments_settlement (amount, fee, iban, status, requested_at, reason,
  requested_by_id, shop_id, iban_held)
SELECT 1000, 10, 'NL91ABNA0417164300',
  CASE WHEN n > {rows} * 0.98 THEN 'requested' ELSE 'paid' END,
  timestamptz '2024-01-01' + (n / 3) * interval '90 seconds', '', 1 + n % 1000, n, false
FROM generate_series(1, {rows}) AS n;
"""


def _statements(paginator: Any, rows: Any, query: dict[str, Any]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get("/", query, HTTP_HOST="localhost"))
    with CaptureQueriesContext(connection) as queries:
        paginator.paginate_queryset(rows, request)
    return [str(q["sql"]) for q in queries.captured_queries]


def _timing(statement: str) -> str:
    from django.db import connection

    runs = []
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("EXPLAIN (ANALYZE) " + statement)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found = re.search(r"Execution Time: ([\d.]+)", plan)
            assert found is not None
            runs.append(float(found.group(1)))
    low, high = min(runs), max(runs)
    return f"{low:.1f}-{high:.1f} ms" if high - low >= 0.05 else f"{low:.1f} ms"


def _measure(name: str, before: Any, after: Any) -> None:
    from core.api import KeysetPage, Page

    total = after.count()
    deep_offset = {"limit": 50, "offset": max(total - 50, 0)}
    offset_first = _statements(Page(), before, {"limit": 50, "offset": 0})
    offset_deep = _statements(Page(), before, deep_offset)
    # The deepest cursor continues from the 51st row from the end, as a `next` link would.
    fields = [field.lstrip("-") for field in after.query.order_by]
    key = "|".join(str(value) for value in after.values_list(*fields)[max(total - 51, 0)])
    cursor = base64.b64encode(urlencode({"p": key}).encode()).decode()
    keyset_first = _statements(KeysetPage(), after, {"limit": 50})
    keyset_deep = _statements(KeysetPage(), after, {"limit": 50, "cursor": cursor})
    count = " + count " + _timing(next(s for s in offset_first if "COUNT(*)" in s))

    def page(statements: list[str]) -> str:
        return _timing(next(s for s in statements if "COUNT(*)" not in s))

    print(f"| {name} ({total:,}) | first | {page(offset_first)}{count} | {page(keyset_first)} |")
    print(f"| | deepest | {page(offset_deep)}{count} | {page(keyset_deep)} |", flush=True)


def _run() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import F
    from django.db.models.functions import Lower

    from accounts import staff
    from payments import settlement
    from shops import selectors

    with connection.cursor() as cursor:
        cursor.execute(SEED.replace("{rows}", str(ROWS)))
        cursor.execute("ANALYZE")

    def residents_before(**filters: Any) -> Any:
        return staff.residents_for_staff(**filters).order_by(
            F("residency_verified_at").asc(nulls_first=True), Lower("user__display_name"), "pk"
        )

    shops_before = ("created_at", "id")
    settlements_before = ("requested_at", "id")
    print("| list (rows) | page of 50 | OFFSET (before) | cursor (after) |")
    print("|---|---|---|---|")
    _measure("residents", residents_before(), staff.residents_for_staff())
    _measure(
        "residents, not verified",
        residents_before(verified=False),
        staff.residents_for_staff(verified=False),
    )
    _measure(
        "shops", selectors.shops_for_staff().order_by(*shops_before), selectors.shops_for_staff()
    )
    _measure(
        "shops, pending",
        selectors.shops_for_staff(status="pending").order_by(*shops_before),
        selectors.shops_for_staff(status="pending"),
    )
    changes = selectors.shops_with_pending_changes()
    _measure("shops, new name waiting", changes, changes)
    _measure(
        "settlements",
        settlement.settlements_for_staff().order_by(*settlements_before),
        settlement.settlements_for_staff(),
    )
    _measure(
        "settlements, requested",
        settlement.settlements_for_staff(status="requested").order_by(*settlements_before),
        settlement.settlements_for_staff(status="requested"),
    )


def _drop(base: str) -> None:
    import psycopg2

    admin = psycopg2.connect(bench_db.with_database(base, "postgres"))
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    finally:
        admin.close()


def main() -> None:
    base = os.environ.get("DATABASE_URL", bench_db.DEFAULT_URL)
    url = bench_db.with_database(base, DATABASE)
    bench_db.recreate_database(base, DATABASE)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    try:
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        print(f"database {bench_db.describe(url)}, {ROWS:,} rows a list")
        _run()
    finally:
        from django.db import connections

        connections.close_all()
        _drop(base)


if __name__ == "__main__":
    main()
