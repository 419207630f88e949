"""Every API endpoint, tried by everyone who must not use it: anonymous callers, residents on
staff endpoints, staff without the right role, and staff whose session has not passed TOTP.
Each is refused with a problem+json body and nothing in the database changes.

The endpoints are read from the URL configuration, so a new endpoint is covered the day it is
added (and must be listed in PUBLIC if anyone may call it)."""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.helpers import make_user

# Endpoints anyone may call (sign-up and sign-in, the public ledger proof, lists for forms).
PUBLIC = {
    "api-signup",
    "api-transparency",
    "api-ledger-keys",
    "api-schema",
    "api-docs",
}
PUBLIC_PREFIXES = ("api/v1/auth/", "api/v1/neighbourhoods/")
METHODS = ("get", "post", "put", "patch", "delete")


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _api_endpoints():
    found = []
    for route, pattern in _routes(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        if view is None:
            continue
        path = "/" + _example_path(route)
        for method in METHODS:
            if hasattr(view, method):
                found.append((pattern.name or route, route, path, method))
    return found


def _example_path(route: str) -> str:
    """A concrete path for a route: 1 for every id, the first choice of a regex alternative."""
    path = re.sub(r"\(\?P<\w+>\[0-9\]\+\)", "1", route)
    path = re.sub(r"\(\?P<\w+>([\w-]+)(?:\|[^)]*)?\)", r"\1", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
    return path.replace("^", "").replace("$", "").replace("\\", "")


ENDPOINTS = _api_endpoints()


def _is_public(name, route):
    return name in PUBLIC or route.startswith(PUBLIC_PREFIXES)


def _snapshot():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "ledger", "otp_totp", "axes"}
    }


def _assert_refused(response, statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_sweep_sees_the_api():
    assert len(ENDPOINTS) >= 10
    assert any(route.startswith("api/v1/staff/") for _, route, _, _ in ENDPOINTS)


@pytest.mark.parametrize(
    ("name", "route", "path", "method"),
    [e for e in ENDPOINTS if not _is_public(e[0], e[1])],
    ids=lambda v: str(v),
)
def test_anonymous_callers_are_refused(db, name, route, path, method):
    make_user("someone@example.org", "resident")
    before = _snapshot()
    response = getattr(APIClient(), method)(path, {}, format="json")
    _assert_refused(response, {401, 403})
    assert _snapshot() == before


STAFF_ENDPOINTS = [e for e in ENDPOINTS if e[1].startswith("api/v1/staff/")]


@pytest.mark.parametrize(("name", "route", "path", "method"), STAFF_ENDPOINTS, ids=str)
def test_residents_and_shop_people_are_refused_on_staff_endpoints(db, name, route, path, method):
    for email in ("anna@example.org", "owner@example.org"):
        user = make_user(email, "resident")
        client = APIClient()
        client.force_login(user)
        before = _snapshot()
        response = getattr(client, method)(path, {}, format="json")
        _assert_refused(response, {403})
        assert _snapshot() == before


@pytest.mark.parametrize(("name", "route", "path", "method"), STAFF_ENDPOINTS, ids=str)
def test_staff_without_totp_are_refused(db, name, route, path, method):
    """Every staff role at once, but a session that never passed TOTP: nothing works."""
    user = make_user(
        "allroles@example.org", "task_manager", "reviewer", "approver", "finance", "admin"
    )
    client = APIClient()
    client.force_login(user)
    before = _snapshot()
    response = getattr(client, method)(path, {}, format="json")
    _assert_refused(response, {403})
    assert response.json()["type"] == "/problems/two-factor-required"
    assert _snapshot() == before
