"""The production settings demand their secrets and pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent


def run_check(env_overrides):
    # DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' (Playwright's sync API); never production's.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def production_env():
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "SECRET_KEY": "k" * 10 + "production-secret-key-with-enough-entropy-1234567890abcdefXYZ",
        "ALLOWED_HOSTS": "heitje.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/heitje"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "LEDGER_SIGNING_KEY": key.decode(),
        "SITE_URL": "https://heitje.heerlen.example",
        "PAYMENT_SIGNING_KEY": key.decode(),
        "SEPA_DEBTOR_NAME": "Gemeente Heerlen",
        "SEPA_DEBTOR_IBAN": "NL02ABNA0123456789",
        "SEPA_DEBTOR_BIC": "ABNANL2A",
        "TRUSTED_PROXY_COUNT": "1",
    }


def test_check_deploy_is_clean_with_production_settings_but_for_a_superuser_role():
    """The test database runs as the superuser `postgres`, which could switch the ledger's
    guards off: that, and only that, is reported. As an application role with only the grants
    of `manage.py db_roles` the check is clean (tests/ops/test_roles_and_backup.py)."""
    env = production_env()
    # A database that exists whatever DATABASE_URL names: the server's maintenance database.
    env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path="/postgres").geturl()
    result = run_check(env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "System check identified 1 issue" in output
    assert "(ledger.W001) The application connects to PostgreSQL as 'postgres', a superuser" in (
        output
    )


def test_production_refuses_to_start_without_a_signing_key():
    env = production_env()
    del env["LEDGER_SIGNING_KEY"]
    result = run_check(env)
    assert result.returncode != 0
    assert "LEDGER_SIGNING_KEY" in result.stderr


def test_production_refuses_to_start_without_the_number_of_trusted_proxies():
    env = production_env()
    del env["TRUSTED_PROXY_COUNT"]
    result = run_check(env)
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr
