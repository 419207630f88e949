"""The idle window of a session starts again while it is in use, without a write on every
request: a session is saved (new expiry in the database and in the cookie) once
SESSION_RENEW_EVERY seconds have passed since its last save (accounts.middleware)."""

import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.middleware import RENEWED_AT
from accounts.models import Role
from tests.helpers import make_user


def stored_expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_session_in_use_is_renewed_once_a_minute_not_on_every_request(client, db):
    person = make_user("renew@example.org", Role.RESIDENT)
    client.force_login(person)
    assert client.get("/").status_code == 200  # the first request after sign-in renews
    first = stored_expiry(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert not any("django_session" in q["sql"] and "UPDATE" in q["sql"] for q in queries)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert stored_expiry(client) == first

    # A minute later (the last save moved back), the next request renews the idle window.
    session = client.session
    session[RENEWED_AT] = time.time() - settings.SESSION_RENEW_EVERY - 1
    session.save()
    saved = stored_expiry(client)
    time.sleep(0.01)
    response = client.get("/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME in response.cookies
    assert (
        response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_IDLE_TIMEOUT
    )
    assert stored_expiry(client) > saved
