"""The production-like container set-up: no Docker engine runs here, so these check what can be
checked without one: the image runs as an unprivileged user, and compose wires every process to
the least-privileged database role with a broker and a cache that are not the same Redis."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_is_multi_stage_and_runs_as_an_unprivileged_user():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2
    users = [line for line in lines if line.startswith("USER ")]
    assert users, "the runtime stage must switch user"
    assert users[-1] not in {"USER root", "USER 0"}
    assert lines.index(users[-1]) > lines.index(stages[-1])


def test_compose_runs_web_worker_beat_on_the_app_role_with_separate_broker_and_cache():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "broker", "cache", "migrate"} <= set(services)
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://heitje_app:"), name
        assert environment["CELERY_BROKER_URL"].startswith("redis://broker:"), name
        assert environment["CACHE_URL"].startswith("redis://cache:"), name
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://heitje_owner:")
    assert "db_roles --app-role heitje_app --apply" in " ".join(migrate["command"])
