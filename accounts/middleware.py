"""Request-wide rules of people and access: session timeouts and records, the signed-in
person's language, and the origin that audit events record.

Idle timeout: SESSION_IDLE_TIMEOUT (the cookie's age); on a device a resident or cashier chose to
remember at sign-in, SESSION_REMEMBER_IDLE_TIMEOUT (a working day at the till or with the
wallet). Never for staff: a session that gains a staff role goes back to the short idle timeout
at its next request. The idle window starts again with requests: a session in use is saved (new
expiry in the database and in the cookie) once SESSION_RENEW_EVERY seconds have passed since it
was last saved, so someone working never meets the idle timeout, and a session left alone ends
between SESSION_RENEW_EVERY seconds before it and on it. Saving on every request
(SESSION_SAVE_EVERY_REQUEST) cost every request a write and a COMMIT. The absolute timeout holds
for everyone."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from core.http import client_address

from . import audit
from .models import SessionRecord, User
from .permissions import is_staff_member

AUTH_AT = "heitje_auth_at"
REAUTH_AT = "heitje_reauth_at"
REMEMBER = "heitje_remember"
RENEWED_AT = "heitje_renewed_at"
_TOUCH_EVERY = timedelta(minutes=1)


@receiver(user_logged_in)
def _on_login(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[AUTH_AT] = now
    request.session[REAUTH_AT] = now
    if request.session.session_key is None:
        request.session.save()
    SessionRecord.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "ended_at": None,
        },
    )


def session_remember(request: HttpRequest) -> None:
    """Keep this session alive for SESSION_REMEMBER_IDLE_TIMEOUT without requests, as the
    person asked at sign-in ("remember this device"); staff keep the short idle timeout."""
    if is_staff_member(request.user):
        return
    request.session[REMEMBER] = True
    request.session.set_expiry(settings.SESSION_REMEMBER_IDLE_TIMEOUT)


class SessionControlMiddleware:
    """The absolute session timeout (the idle one is the cookie's age), and the record of the
    session that lets a person see and end their other sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            session = request.session
            started = session.get(AUTH_AT)
            if started is None:
                session[AUTH_AT] = time.time()
            elif time.time() - float(started) > settings.SESSION_ABSOLUTE_TIMEOUT:
                SessionRecord.objects.filter(session_key=session.session_key).update(
                    ended_at=timezone.now()
                )
                logout(request)
            else:
                if session.get(REMEMBER) and is_staff_member(user):
                    del session[REMEMBER]
                    session.set_expiry(None)
                self._touch(request)
                self._renew(request)
        elif settings.SESSION_COOKIE_NAME in request.COOKIES:
            self._renew(request)
        return self.get_response(request)

    @staticmethod
    def _renew(request: HttpRequest) -> None:
        """Mark a session in use as changed once SESSION_RENEW_EVERY seconds have passed since
        it was last saved, so that it is saved with a new idle window."""
        session = request.session
        renewed = session.get(RENEWED_AT)  # loads it: a cookie of no session has no key after
        if session.session_key is None or session.is_empty():
            return
        now = time.time()
        if renewed is None or now - float(renewed) >= settings.SESSION_RENEW_EVERY:
            session[RENEWED_AT] = now

    @staticmethod
    def _touch(request: HttpRequest) -> None:
        key = request.session.session_key
        if key is None:
            return
        now = timezone.now()
        SessionRecord.objects.filter(session_key=key, last_seen_at__lt=now - _TOUCH_EVERY).update(
            last_seen_at=now
        )


class LanguageMiddleware:
    """A signed-in person sees pages in their preferred language, wherever they sign in; the
    language switcher changes that preference (and the cookie, for visitors)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and isinstance(user, User) and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)


class AuditOriginMiddleware:
    """Tells the audit log where the current request comes from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit.origin_set(
            audit.Origin(
                ip_address=client_address(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            audit.origin_reset(token)
