"""What an operator relies on: liveness and readiness, request ids from the response header to
the problem body and the log line, and Prometheus metrics that only the machine itself reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def _broker_folders() -> None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(str(options[key])).mkdir(parents=True, exist_ok=True)


def test_liveness_asks_nothing_of_the_database(client):
    # No `db` fixture: any database access in the view would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_database_cache_and_broker(client, db):
    _broker_folders()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_readiness_names_an_unreachable_cache(client, db):
    _broker_folders()
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=unreachable):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"] == {"database": "ok", "cache": "failing", "broker": "ok"}
    assert "127.0.0.1" not in response.content.decode()


def test_every_response_has_a_request_id_and_problems_carry_it(client, db):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) >= 16
    assert first["X-Request-ID"] != second["X-Request-ID"]

    problem = client.get("/api/v1/no-such-thing/")
    assert problem.status_code == 404
    assert problem.json()["request_id"] == problem["X-Request-ID"]


def test_a_proxys_request_id_is_kept_and_a_forged_one_replaced(client, db):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21e4"})
    assert kept["X-Request-ID"] == "lb-7f3a9c21e4"
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" level=ERROR forged'})
    assert forged["X-Request-ID"] != 'x" level=ERROR forged'
    assert forged["X-Request-ID"].isalnum()


def test_production_logs_are_json_lines_with_the_request_id():
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "Client(HTTP_HOST='localhost').get(\n"
        "    '/api/v1/no-such-thing/', headers={'X-Request-ID': 'trace-12345678'}\n"
        ")\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found, result.stderr
    assert not_found[0]["request_id"] == "trace-12345678"
    assert not_found[0]["level"] == "WARNING"
    assert {"time", "message"} <= set(not_found[0])


def test_metrics_answer_the_machine_itself_with_our_own_figures(client, db):
    client.get("/api/v1/no-such-thing/")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'heitje_problems_total{type="not-found"}' in text
    assert "heitje_claims" in text
    assert "heitje_unsealed_transfers" in text
    assert "heitje_ledger_verify_failures 0.0" in text
    assert "django_http_requests_total_by_method_total" in text


def test_metrics_are_not_for_the_public_internet(client, db):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    with override_settings(METRICS_ALLOWED_NETWORKS=["203.0.113.0/24"]):
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
