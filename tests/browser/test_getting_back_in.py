"""Issue 11, point 8, in a real browser on a phone: a forgotten password is reset by mail from
the sign-in page, the last attempt before the lockout is announced, and confirming the email
address signs the new resident in. In Dutch and in German or English, at 360x740 and 390x844;
screenshots under var/screenshots/access/."""

from __future__ import annotations

import re
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
    expect(main.locator(".errors, .form-errors").first).to_contain_text(
        tr(page, "This password is entirely numeric.")
    )
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
