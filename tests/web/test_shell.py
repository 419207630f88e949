"""The shell every page shares: landmarks, language, navigation by role, friendly error pages."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import path

from tests.helpers import make_user


def boom(request):
    raise RuntimeError("secret detail of the failure")


urlpatterns = [path("boom/", boom)]


def test_the_landing_page_explains_and_invites(client, db):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert re.search(r'<html lang="(nl|de|en)">', body)
    for landmark in ('<header class="site-header">', '<main id="main"', "<nav ", "<footer "):
        assert landmark in body
    assert 'href="#main"' in body  # skip link
    assert 'id="home-sign-up"' in body
    assert 'id="home-sign-in"' in body
    assert 'href="/login/"' in body
    assert 'href="/signup/"' in body
    assert '<label for="language-select">' in body


def test_the_language_cookie_sets_the_page_language(client, db):
    client.cookies["heitje_language"] = "de"
    assert '<html lang="de">' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("roles", "shown", "hidden"),
    [
        (("resident",), ["nav-wallet"], ["nav-staff", "nav-sign-in"]),
        (("reviewer",), ["nav-staff"], ["nav-wallet"]),
        (("resident", "admin"), ["nav-wallet", "nav-staff"], ["nav-shop"]),
    ],
)
def test_navigation_shows_what_the_roles_allow(client, db, roles, shown, hidden):
    client.force_login(make_user("someone@example.org", *roles))
    body = client.get("/").content.decode()
    for nav_id in shown:
        assert f'id="{nav_id}"' in body
    for nav_id in hidden:
        assert f'id="{nav_id}"' not in body
    assert 'id="nav-sign-out"' in body


def test_an_unknown_page_is_a_friendly_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find that page." in body
    assert body.count("<h1") == 1


def test_the_404_page_speaks_the_visitors_language(client, db):
    client.cookies["heitje_language"] = "de"
    german = client.get("/no-such-page/").content.decode()
    assert '<html lang="de">' in german


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_shows_the_static_500_page_without_details(db):
    from django.test import Client

    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side." in body
    assert "secret detail" not in body
    assert "Traceback" not in body


def test_the_500_page_renders_without_a_request_or_database():
    body = render_to_string("500.html")
    assert "Something went wrong on our side." in body
    assert '<html lang="' in body
