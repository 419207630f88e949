"""The Django admin opens only for an administrator whose session passed the staff two-factor
check, never shows an authenticator's key or an API token, and can be moved or switched off."""

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import override_settings
from django.urls import clear_url_caches
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import config.urls
from accounts.models import STAFF_ROLES, Role
from accounts.tokens import api_token_create
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user):
    """The demo's kind of administrator: Django superuser and the administrator role."""
    return make_user("admin@example.org", Role.ADMIN, is_staff=True, is_superuser=True)


def _code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(
        device.digits
    )


def _path(response) -> str:
    return urlsplit(response["Location"]).path


@contextmanager
def _urls(**values) -> Iterator[None]:
    """The URL configuration as built with these settings (it reads them once, at import)."""

    def rebuild() -> None:
        importlib.reload(config.urls)
        clear_url_caches()

    try:
        with override_settings(**values):
            rebuild()
            yield
    finally:
        rebuild()


def test_the_admins_own_login_form_does_not_open_it_with_a_password(client, administrator):
    TOTPDevice.objects.create(user=administrator, name="phone", confirmed=True)

    client.post(
        "/admin/login/?next=/admin/", {"username": administrator.email, "password": PASSWORD}
    )
    response = client.get("/admin/accounts/user/")

    assert response.status_code == 302
    assert not _path(response).startswith("/admin/accounts/")


def test_an_unverified_session_is_sent_to_the_staff_code_and_then_into_the_admin(
    client, administrator
):
    device = TOTPDevice.objects.create(user=administrator, name="phone", confirmed=True)
    client.post("/login/", {"email": administrator.email, "password": PASSWORD})

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/2fa/verify/?next=/admin/"
    assert "Site administration" not in response.content.decode()

    response = client.post("/staff/2fa/verify/?next=/admin/", {"token": _code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Site administration" in page.content.decode()


def test_an_administrator_without_an_authenticator_is_sent_to_set_one_up(client, administrator):
    client.force_login(administrator)

    response = client.get("/admin/accounts/user/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/staff/2fa/setup/")
    assert "Site administration" not in response.content.decode()


def test_a_visitor_is_sent_to_the_sites_sign_in(client, administrator):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == "/login/?next=/admin/"


def test_a_verified_administrator_opens_the_admin(client, administrator, staff_login):
    staff_login(client, administrator)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_a_verified_superuser_without_the_administrator_role_gets_no_admin(
    client, make_user, staff_login
):
    """Taking someone's administrator role in the console closes the admin to them, even when
    their Django flags were left as they were."""
    former = make_user(
        "former@example.org",
        *(r for r in STAFF_ROLES if r != Role.ADMIN),
        is_staff=True,
        is_superuser=True,
    )
    staff_login(client, former)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "Site administration" not in response.content.decode()


def test_the_admin_never_shows_an_authenticator_key_or_an_api_token(
    client, administrator, staff_login, make_user
):
    own = staff_login(client, administrator)
    reviewer = make_user("reviewer@example.org", Role.REVIEWER, is_staff=True)
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    token = api_token_create(user=reviewer, device_name="till")
    secrets = {own.key, device.key, token.key}

    pages = [
        "/admin/",
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        "/admin/authtoken/tokenproxy/",
        f"/admin/authtoken/tokenproxy/{reviewer.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{reviewer.pk}/change/",
        f"/admin/accounts/user/{administrator.pk}/change/",
    ]
    for model in admin.site._registry:
        pages.append(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    for path in pages:
        response = client.get(path, follow=True)
        assert response.status_code in {200, 404}, path
        html = response.content.decode()
        assert not any(secret in html for secret in secrets), path
    for path in ("/admin/otp_totp/totpdevice/", "/admin/authtoken/tokenproxy/"):
        assert client.get(path).status_code == 404


def test_no_model_holding_keys_or_tokens_is_in_the_admin():
    """Whichever token scheme the API uses (DRF's authtoken, knox), none is registered."""
    secret_apps = {"otp_totp", "otp_static", "otp_hotp", "otp_email", "authtoken", "knox"}
    registered = {model._meta.app_label for model in admin.site._registry}

    assert not registered & secret_apps
    assert apps.is_installed("django_otp.plugins.otp_totp")  # installed, only not shown


def test_the_admin_answers_at_the_path_set_in_the_settings(client, administrator):
    with _urls(ADMIN_URL="back-office-7f3/"):
        assert client.get("/admin/").status_code == 404
        response = client.get("/back-office-7f3/")
        assert response.status_code == 302


def test_production_can_switch_the_admin_off(client, administrator, staff_login):
    staff_login(client, administrator)
    with _urls(ADMIN_ENABLED=False):
        assert client.get("/admin/").status_code == 404
        assert client.get("/admin/login/").status_code == 404
        assert client.get("/admin/accounts/user/").status_code == 404
    assert client.get("/admin/").status_code == 200
