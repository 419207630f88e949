"""A resident's first visit, in a real browser: sign up, confirm the address from the mail,
sign in, land on the wallet, switch to German, and stay German."""

import re
from urllib.parse import urlsplit

from django.core import mail
from django.utils import translation
from django.utils.translation import trans_real
from playwright.sync_api import expect

from accounts.models import Neighbourhood, User
from tests.browser.conftest import assert_pages_exist, field, sign_in, switch_language, tr

PASSWORD = "Kerkrade-bench-painter-7"


def _german(message: str) -> str:
    """The German translation of an English source string; it must exist, or the page cannot
    show German and the test would prove nothing."""
    german = tr("de", message)
    assert german != message, f"no German translation of {message!r}"
    return german


def _source_of(text: str, language: str) -> str | None:
    """The English message that reads `text` in `language`, if the catalog has one."""
    with translation.override(language):
        catalog = trans_real.translation(language)._catalog  # type: ignore[attr-defined]
    return next((msgid for msgid, msgstr in catalog.items() if msgstr == text.strip()), None)


def test_resident_signs_up_confirms_signs_in_and_switches_to_german(page, new_context):
    assert_pages_exist(page, "/wallet/")
    neighbourhood, _ = Neighbourhood.objects.get_or_create(name="Heerlerbaan")

    page.goto("/signup/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill("Sanne@Example.org")
    field(main, page, "Password").fill(PASSWORD)
    field(main, page, "Display name").fill("Sanne")
    field(main, page, "Neighbourhood").select_option(label=neighbourhood.name)
    field(main, page, "Language").select_option("nl")
    main.get_by_role("button", name=tr(page, "Sign up"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    user = User.objects.get(email="sanne@example.org")
    assert user.email_verified_at is None
    assert user.resident.neighbourhood == neighbourhood
    assert user.preferred_language == "nl"

    # Signing in waits for the confirmation.
    sign_in_page = page.context.new_page()
    sign_in_page.goto("/login/")
    form = sign_in_page.get_by_role("main")
    field(form, sign_in_page, "Email address").fill("sanne@example.org")
    field(form, sign_in_page, "Password").fill(PASSWORD)
    form.get_by_role("button", name=tr(sign_in_page, "Sign in"), exact=True).click()
    expect(sign_in_page).to_have_url(re.compile(r"/login/$"))
    sign_in_page.close()

    # The mail (sent by Celery, eagerly, after the sign-up committed) carries the link.
    [message] = [m for m in mail.outbox if m.to == ["sanne@example.org"]]
    link = re.search(r"https?://\S+/verify-email/\S+/", message.body)
    assert link, message.body
    # Following it confirms the address and signs Sanne in: she lands on her wallet.
    page.goto(urlsplit(link.group(0)).path)
    expect(page).to_have_url(re.compile(r"/wallet/$"))
    expect(page.locator("#messages")).to_contain_text(
        tr(page, "Your email address is confirmed. Welcome to Heitje!")
    )
    user.refresh_from_db()
    assert user.email_verified_at is not None
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    heading = _source_of(page.locator("h1").inner_text(), "nl")

    switch_language(page, "de")

    expect(page).to_have_url(re.compile(r"/wallet/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    nav = page.get_by_role("navigation", name=_german("Main"))
    expect(nav.get_by_role("link", name=_german("Wallet"), exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=_german("My account"), exact=True)).to_be_visible()
    if heading:  # the wallet's heading, when it is a fixed message rather than a name
        expect(page.locator("h1")).to_have_text(_german(heading))
    user.refresh_from_db()
    assert user.preferred_language == "de"

    # Remembered: on reload, in a new tab, and on another device after signing in again.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    other_tab = page.context.new_page()
    other_tab.goto("/wallet/")
    expect(other_tab.locator("html")).to_have_attribute("lang", "de")
    other_device = new_context().new_page()
    sign_in(other_device, "sanne@example.org", PASSWORD)
    expect(other_device).to_have_url(re.compile(r"/wallet/$"))
    expect(other_device.locator("html")).to_have_attribute("lang", "de")
    expect(other_device.get_by_role("link", name=_german("My account"), exact=True)).to_be_visible()
