"""Issue 11, point 8, in a real browser on a phone: a forgotten password is reset by mail from
the sign-in page, the last attempt before the lockout is announced, and confirming the email
address signs the new resident in. In Dutch and in German or English, at 360x740 and 390x844;
screenshots under var/screenshots/access/."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from accounts import identity
from accounts.models import User
from tests import helpers
from tests.browser.conftest import axe_serious, field, make_resident, tr

SMALL = {"width": 360, "height": 740}
LARGE = {"width": 390, "height": 844}
NEW_PASSWORD = "Schaesberg-garden-44"
WRONG = "not-my-password-at-all"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "access"


def phone(new_context: Any, live_server: Any, viewport: dict[str, int], language: str) -> Any:
    """A phone whose visitor chose `language` earlier (the language switcher's cookie)."""
    context = new_context(viewport=viewport)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    return context.new_page()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def whole_width(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize(
    ("language", "viewport"), [("nl", SMALL), ("de", LARGE), ("en", SMALL)], ids=str
)
def test_a_forgotten_password_is_reset_by_mail(
    new_context: Any, live_server: Any, language: str, viewport: dict[str, int]
) -> None:
    ria = make_resident()
    User.objects.filter(pk=ria.pk).update(preferred_language=language)
    page = phone(new_context, live_server, viewport, language)

    page.goto("/login/")
    page.get_by_role("link", name=tr(page, "Forgot your password?")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(page, "Forgot your password?"))
    main = page.get_by_role("main")
    field(main, page, "Email address").fill("ria@example.org")
    shot(page, f"{language}-reset-ask")
    main.get_by_role("button", name=tr(page, "Send me a link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(page, "Check your mail"))
    assert axe_serious(page) == []

    [message] = [m for m in mail.outbox if "/password-reset/" in m.body]
    assert message.subject == tr(language, "Choose a new Heitje password")
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", str(message.body))
    assert link, message.body
    page.goto(urlsplit(link.group(0)).path)
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(page, "Choose a new password"))
    main = page.get_by_role("main")
    # A weak password is refused in the page's language, and nothing changes.
    field(main, page, "New password").fill("1234567890")
    field(main, page, "The new password again").fill("1234567890")
    main.get_by_role("button", name=tr(page, "Save the new password")).click()
    # ... under the box where it was typed first, not under "again".
    numeric = tr(page, "This password is entirely numeric.")
    expect(main.locator("#id_new_password1_error")).to_contain_text(numeric)
    expect(field(main, page, "New password")).to_have_attribute("aria-invalid", "true")
    expect(main.locator("#id_new_password2_error")).to_have_count(0)
    shot(page, f"{language}-reset-refused")
    whole_width(page)
    field(main, page, "New password").fill(NEW_PASSWORD)
    field(main, page, "The new password again").fill(NEW_PASSWORD)
    main.get_by_role("button", name=tr(page, "Save the new password")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr(page, "Your new password is saved")
    )
    ria.refresh_from_db()
    assert ria.check_password(NEW_PASSWORD)

    page.get_by_role("main").get_by_role("link", name=tr(page, "Sign in")).click()
    main = page.get_by_role("main")
    field(main, page, "Email address").fill("ria@example.org")
    field(main, page, "Password").fill(NEW_PASSWORD)
    main.get_by_role("button", name=tr(page, "Sign in"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/wallet/$"))


@pytest.mark.parametrize(("language", "viewport"), [("nl", LARGE), ("en", SMALL)], ids=str)
def test_the_last_attempt_before_the_lockout_is_announced(
    new_context: Any, live_server: Any, language: str, viewport: dict[str, int]
) -> None:
    make_resident()
    page = phone(new_context, live_server, viewport, language)
    warning = page.locator("#lockout-warning")
    page.goto("/login/")
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        main = page.get_by_role("main")
        field(main, page, "Email address").fill("ria@example.org")
        field(main, page, "Password").fill(WRONG)
        main.get_by_role("button", name=tr(page, "Sign in"), exact=True).click()
        expect(page.locator(".form-errors")).to_be_visible()
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            expect(warning).to_have_count(0)
    expect(warning).to_be_visible()
    with translation.override(language):
        expected = translation.ngettext(
            "One more wrong password locks sign-in for %(minutes)d minute. Forgot your password? "
            "Ask for a new one below.",
            "One more wrong password locks sign-in for %(minutes)d minutes. Forgot your password? "
            "Ask for a new one below.",
            15,
        ) % {"minutes": 15}
    expect(warning).to_have_text(expected)
    shot(page, f"{language}-last-attempt")
    whole_width(page)
    assert axe_serious(page) == []
    # The way out is right there.
    expect(page.get_by_role("link", name=tr(page, "Forgot your password?"))).to_be_visible()


@pytest.mark.parametrize(("language", "viewport"), [("nl", SMALL), ("de", LARGE)], ids=str)
def test_confirming_the_email_signs_the_new_resident_in(
    new_context: Any, live_server: Any, language: str, viewport: dict[str, int]
) -> None:
    ria = make_resident()
    User.objects.filter(pk=ria.pk).update(email_verified_at=None, preferred_language=language)
    ria.refresh_from_db()
    page = phone(new_context, live_server, viewport, language)
    page.goto(f"/verify-email/{identity.email_verification_token(user=ria)}/")
    expect(page).to_have_url(re.compile(r"/wallet/$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#messages")).to_contain_text(
        tr(page, "Your email address is confirmed. Welcome to Heitje!")
    )
    shot(page, f"{language}-confirmed")
    whole_width(page)


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-A136B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def session_cookie(context: Any) -> dict[str, Any]:
    return next(c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)


@pytest.mark.parametrize(("language", "viewport"), [("nl", SMALL), ("de", LARGE)], ids=str)
def test_sessions_are_named_as_people_name_their_phones(
    browser: Any, live_server: Any, transactional_db: None, language: str, viewport: dict[str, int]
) -> None:
    """ "Chrome op Android", never the browser's user-agent string; a remembered phone stays
    signed in for a working day, and staff are never remembered past the idle timeout."""
    ria = make_resident()
    User.objects.filter(pk=ria.pk).update(preferred_language=language)
    contexts = []
    for agent in (IPHONE_SAFARI, ANDROID_CHROME):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, user_agent=agent, locale="nl-NL"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        main = page.get_by_role("main")
        field(main, page, "Email address").fill(ria.email)
        field(main, page, "Password").fill(helpers.PASSWORD)
        field(main, page, "Remember this device").check()
        main.get_by_role("button", name=tr(page, "Sign in"), exact=True).click()
        page.wait_for_url(lambda url: urlsplit(url).path != "/login/")
        # A resident's remembered phone: signed in for a working day, not 30 minutes.
        remembered = session_cookie(context)["expires"]
        assert remembered > time.time() + settings.SESSION_REMEMBER_IDLE_TIMEOUT - 60

    page.goto("/account/sessions/")
    main = page.get_by_role("main")
    on = tr(language, "%(browser)s on %(system)s")
    names = main.locator(".device-name")
    expect(names).to_have_count(2)
    assert sorted(names.all_inner_texts()) == sorted(
        [
            on % {"browser": "Safari", "system": "iPhone"},
            on % {"browser": "Chrome", "system": "Android"},
        ]
    )

    expect(main).not_to_contain_text("Mozilla")
    expect(main).not_to_contain_text("AppleWebKit")
    shot(page, f"{language}-sessions")
    whole_width(page)
    assert axe_serious(page) == []

    # Staff who tick "remember" still end after the idle timeout.
    staff = helpers.make_user("rob@example.org", "reviewer", preferred_language=language)
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    contexts.append(context)
    page = context.new_page()
    page.goto("/login/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill(staff.email)
    field(main, page, "Password").fill(helpers.PASSWORD)
    remember = field(main, page, "Remember this device")
    if remember.count():
        remember.check()
    main.get_by_role("button", name=tr(page, "Sign in"), exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login/")
    assert session_cookie(context)["expires"] < time.time() + settings.SESSION_IDLE_TIMEOUT + 60
    for context in contexts:
        context.close()
