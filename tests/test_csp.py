"""Every response carries a Content-Security-Policy that lets nothing run but this origin's own
script files: no inline script, style or event handler, no eval, no other host, never framed.
The pages, the API docs and the admin need nothing more (tests/browser check it in Chromium)."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from accounts.models import Role
from accounts.services import resident_register
from tests.helpers import PASSWORD
from tests.test_deploy import ROOT, production_env

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
OTHER_HOST = re.compile(r"""\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def policy_of(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    everything = " ".join(value for values in policy.values() for value in values)
    assert "unsafe" not in everything


def assert_needs_nothing_inline(path: str, html: str) -> None:
    for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT, OTHER_HOST):
        found = pattern.search(html)
        assert found is None, f"{path}: {found.group(0) if found else ''}"


@pytest.fixture
def resident(db):
    return resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")


@pytest.fixture
def administrator(make_user):
    return make_user("admin@example.org", Role.ADMIN, is_staff=True, is_superuser=True)


def test_every_response_carries_the_policy(client, db):
    for path in ("/", "/login/", "/api/docs/", "/api/v1/wallet/", "/no-such-page/"):
        response = client.get(path)
        assert_strict(policy_of(response.headers.get("Content-Security-Policy", "")))


def test_public_pages_and_the_api_docs_need_nothing_inline(client, db):
    for path in ("/", "/login/", "/signup/", "/api/docs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_needs_nothing_inline(path, response.content.decode())


def test_wallet_pages_need_nothing_inline(client, resident):
    client.force_login(resident)
    for path in ("/wallet/", "/wallet/statement/", "/wallet/tasks/", "/wallet/pay/", "/account/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_needs_nothing_inline(path, response.content.decode())


def test_staff_pages_and_the_admin_need_nothing_inline(client, administrator, staff_login):
    client.force_login(administrator)
    setup = client.get("/staff/2fa/setup/")  # the authenticator's QR code, drawn as SVG
    assert setup.status_code == 200
    assert_needs_nothing_inline("/staff/2fa/setup/", setup.content.decode())

    staff_login(client, administrator)
    user = get_user_model().objects.get(pk=administrator.pk)
    for path in (
        "/staff/",
        "/staff/members/",
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_needs_nothing_inline(path, response.content.decode())


def test_the_api_docs_load_swagger_ui_from_this_site_only(client, db):
    page = client.get("/api/docs/")
    html = page.content.decode()
    assets = re.findall(r"""\b(?:src|href)="([^"]+)\"""", html)

    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), assets
    static = [
        a.removeprefix(settings.STATIC_URL) for a in assets if a.startswith(settings.STATIC_URL)
    ]
    assert all(finders.find(asset) for asset in static), static
    (script_url,) = (a.replace("&amp;", "&") for a in assets if "script=" in a)
    script = client.get(script_url).content.decode()
    assert "/api/schema/" in script
    assert not re.search(r"https?://", script)


def test_production_settings_send_the_policy():
    """The same policy under config.settings.production, read from a real request."""
    probe = (
        "import json, django; django.setup(); from django.test import Client; "
        "r = Client().get('/.well-known/heitje-payment-keys.json', secure=True, "
        "HTTP_HOST='heitje.example.org'); "
        "print(json.dumps({'status': r.status_code, "
        "'csp': r.headers.get('Content-Security-Policy', '')}))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({**production_env(), "DJANGO_SETTINGS_MODULE": "config.settings.production"})
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert_strict(policy_of(answer["csp"]))
