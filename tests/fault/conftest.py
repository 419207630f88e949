"""The private servers of the fault tests (tests/fault/servers.py): one PostgreSQL for the
session with the demo town migrated and seeded into it, a redis-server per test, and a web
process per test with the settings that test needs. Nothing here uses the machine's own
PostgreSQL or Redis, so stopping and freezing them harms nobody else."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .servers import LiveServer, PrivatePostgres, PrivateRedis, manage

DATABASE = "heitje"
PRODUCTION = "config.settings.production"
CASHIER = ("kassa@heitje.example", "heitje-demo-shop")
OWNER = ("bakker@heitje.example", "heitje-demo-shop")
RESIDENT = ("anna@heitje.example", "heitje-demo-resident")
# Low, so that piling up idle connections shows within one burst of requests.
MAX_CONNECTIONS = 30
# The environment a test's processes must not inherit: they talk to the private servers only.
_INHERITED_OUT = ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")


def _pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Town:
    """The seeded demo town in the private PostgreSQL and the environment to reach it."""

    pg: PrivatePostgres
    env: dict[str, str]
    shop_id: int

    def production_env(self, redis: PrivateRedis, **extra: str) -> dict[str, str]:
        """Production settings with broker and cache on one Redis, as measured."""
        return {
            **self.env,
            "CELERY_BROKER_URL": redis.url(0),
            "CACHE_URL": redis.url(1),
            "SECURE_SSL_REDIRECT": "False",
            **extra,
        }

    def token(self, server: LiveServer, who: tuple[str, str]) -> str:
        answer = server.request(
            "POST", "/api/v1/auth/token/", json_body={"email": who[0], "password": who[1]}
        )
        assert answer.status == 200, answer.body
        return str(answer.json()["token"])

    def ledger_verify(self) -> str:
        return manage(self.env, "ledger_verify")

    def count(self, sql: str) -> int:
        return int(self.pg.psql(sql, DATABASE))


@pytest.fixture(scope="session")
def fault_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="heitje-fault-"))
    root.chmod(0o755)  # the embedded server runs as its own system user under root
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_pg(fault_root: Path) -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres(fault_root, max_connections=MAX_CONNECTIONS)
    yield pg
    pg.close()


@pytest.fixture(scope="session")
def town(private_pg: PrivatePostgres, fault_root: Path) -> Town:
    private_pg.psql(f"CREATE DATABASE {DATABASE}")
    var = fault_root / "var"
    for folder in ("broker/queue", "broker/processed", "broker/control"):
        (var / folder).mkdir(parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items() if k not in _INHERITED_OUT}
    env = {
        **base,
        "DATABASE_URL": private_pg.url(DATABASE),
        "VAR_DIR": str(var),
        "SECRET_KEY": "fault-tests-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "LEDGER_SIGNING_KEY": _pem(),
        "PAYMENT_SIGNING_KEY": _pem(),
        "SEPA_DEBTOR_NAME": "Gemeente Heerlen",
        "SEPA_DEBTOR_IBAN": "NL02ABNA0123456789",
        "SEPA_DEBTOR_BIC": "ABNANL2A",
        "LOG_LEVEL": "WARNING",
        # Production insists on being told; the tests' clients connect directly.
        "TRUSTED_PROXY_COUNT": "0",
    }
    manage(env, "migrate", "--no-input", "-v", "0")
    manage({**env, "CELERY_TASK_ALWAYS_EAGER": "true"}, "seed_demo")
    # Pages under production settings need the static files' manifest, as in production.
    production = {
        **env,
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "CACHE_URL": "locmemcache://",
    }
    manage(production, "collectstatic", "--no-input", "-v", "0", settings=PRODUCTION)
    shop_id = int(
        private_pg.psql("SELECT id FROM accounts_shop WHERE name LIKE 'Bakkerij%'", DATABASE)
    )
    return Town(pg=private_pg, env=env, shop_id=shop_id)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    yield redis
    redis.stop()


@pytest.fixture
def start_web(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start a web process (`start_web(env, settings=...)`); stopped after the test."""
    servers: list[LiveServer] = []

    def start(env: dict[str, str], *, settings: str = PRODUCTION) -> LiveServer:
        server = LiveServer(env, settings=settings, log=tmp_path / f"web-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
