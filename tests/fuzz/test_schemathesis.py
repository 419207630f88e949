"""Schemathesis against /api/schema/: every operation, as every kind of caller, with every
check (no 5xx, responses and status codes as documented, requests valid by the schema accepted,
invalid ones refused, ...). A bounded, deterministic number of examples per operation keeps the
whole run to a minute or two.

The database is the demo town (demo.seed), fresh for each caller."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from accounts.models import User
from accounts.tokens import api_token_create
from config.wsgi import application
from demo.seed import seed_demo
from tests.helpers import staff_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXAMPLES = 2
CALLERS = {
    "anonymous": None,
    "resident": "anna@heitje.example",
    "owner": "bakker@heitje.example",
    "cashier": "kassa@heitje.example",
    "task_manager": "taskmanager@heitje.example",
    "reviewer": "reviewer@heitje.example",
    "approver": "approver@heitje.example",
    "finance": "finance@heitje.example",
    "admin": "admin@heitje.example",
}
TOKEN_CALLERS = {"resident", "owner", "cashier"}


@pytest.fixture(autouse=True)
def _private_evidence(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }


def _credentials(caller: str) -> dict[str, dict[str, str]]:
    """Headers that sign `caller` in: an API token for residents and shop people; for staff a
    session that passed TOTP, with a CSRF cookie and header as a browser sends them."""
    email = CALLERS[caller]
    if email is None:
        return {}
    user = User.objects.get(email=email)
    if caller in TOKEN_CALLERS:
        token = api_token_create(user=user, device_name="fuzz").key
        return {"headers": {"Authorization": f"Token {token}"}}
    client = Client()
    staff_login(client, user)
    csrf = _get_new_csrf_string()
    session = client.cookies["sessionid"].value
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {"sessionid": session, "csrftoken": csrf},
    }


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_keeps_to_the_schema(caller):
    seed_demo()
    credentials = _credentials(caller)
    load_all_checks()
    checks = CHECKS.get_all()
    assert len(checks) > 10
    failures: dict[str, str] = {}
    for operation in _operations():
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            # schemathesis raises a BaseExceptionGroup, which hypothesis would not report as a
            # failed example: each operation's first failure is collected and reported at the end.
            if operation.label in failures:
                return
            try:
                case.call_and_validate(checks=checks, **credentials)
            except FailureGroup as error:
                failures[operation.label] = str(error)

        check()
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
