"""Browser tests: Playwright drives Debian's Chromium (found or installed by `dev.py test`,
which passes its path in CHROMIUM) against Django's live server on the test database.

The live server runs in this process, so the tests read mail from django.core.mail.outbox and
look rows up with the ORM between browser steps; the `page` fixture is transactional, so what a
test writes is committed and the server sees it."""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import User
from ledger import selectors
from ledger import services as ledger_services
from shops import services as shop_services
from shops.models import Shop
from tests import helpers

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """The pages are only translated with compiled catalogs: compile each locale/*.po that has
    no .mo yet (or an older one), as `dev.py` does, then let Django load them afresh."""
    import polib
    from django.utils.translation import trans_real

    changed = False
    for po_path in sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            changed = True
    if changed:
        trans_real._translations = {}  # type: ignore[attr-defined]
        trans_real._default = None  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        # A skipped browser test checks nothing: missing Chromium is a failure that says why.
        pytest.fail("Chromium is not installed: `python3 dev.py test` installs it (apt-get, root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """Open further browser contexts (a second device: no cookies shared) on the live server.
    Every browser test also fails when the Content-Security-Policy refused anything a page
    wanted: a page that needs more than the policy allows is broken in production."""
    contexts: list[Any] = []
    refused: list[str] = []

    def _open(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or PHONE, locale="nl-NL"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.on("console", lambda message: csp_watch(message, refused))
        return context

    yield _open
    for context in contexts:
        context.close()
    assert refused == [], "the Content-Security-Policy refused what a page needs"


def csp_watch(message: Any, refused: list[str]) -> None:
    """Chromium reports what the Content-Security-Policy refuses (an inline script or style,
    an eval, another host) as a console error."""
    if message.type == "error" and "Content Security Policy" in message.text:
        refused.append(f"{message.location.get('url')}: {message.text}")


@pytest.fixture
def page(new_context: Any) -> Any:
    """A fresh phone-sized browser context against the live server."""
    return new_context().new_page()


def axe_serious(page: Any) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, described."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def assert_pages_exist(page: Any, *paths: str) -> None:
    """Fail at once, with the path named, when one of `paths` does not answer as a page."""
    for path in paths:
        status = page.request.get(path, max_redirects=0).status
        assert status < 500, f"{path} answers {status}"


# --- reading the page in its own language -------------------------------------------------------


def page_language(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang") or settings.LANGUAGE_CODE)


def tr(page_or_language: Any, message: str) -> str:
    """`message` (an English source string) as the page shows it: in the page's language."""
    language = (
        page_or_language if isinstance(page_or_language, str) else page_language(page_or_language)
    )
    with translation.override(language):
        return translation.gettext(message)


# --- people and things ---------------------------------------------------------------------------


def field(scope: Any, page: Any, label: str) -> Any:
    """The form control labelled `label` (in the page's language) within `scope`; a required
    field's label ends in an asterisk that screen readers skip."""
    text = re.escape(tr(page, label))
    return scope.get_by_label(re.compile(rf"^\s*{text}\s*\*?\s*$"))


def switch_language(page: Any, language: str) -> None:
    """Choose `language` with the page's language switcher (in the header or the footer, not a
    form field in the page's main content) and wait for the page to come back in it."""
    chooser = page.locator("header, footer").get_by_label(tr(page, "Language"), exact=True)
    expect(chooser).to_have_count(1)
    chooser.select_option(language)
    button = chooser.locator("xpath=ancestor::form[1]").get_by_role("button")
    if button.count():
        button.click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def sign_in(page: Any, email: str, password: str = helpers.PASSWORD) -> None:
    """Sign in through the sign-in page, as a person would; returns once the page has left it."""
    page.goto("/login/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill(email)
    field(main, page, "Password").fill(password)
    main.get_by_role("button", name=tr(page, "Sign in"), exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login/")


def fund_wallet(user: User, amount: int, *, times: int = 1) -> None:
    """Pay `amount` into the resident's wallet `times` times, through the ledger's services."""
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    issuer = selectors.issuer_account(currency=currency)
    for _ in range(times):
        ledger_services.transfer_post(
            kind="mint",
            legs=ledger_services.legs_between(
                source_id=issuer.id, destination_id=user.resident.wallet_id, amount=amount
            ),
        )


def make_resident(email: str = "ria@example.org") -> User:
    """A resident signed up through the service (wallet and profile), email confirmed."""
    from django.utils import timezone

    from accounts.services import resident_register

    user = resident_register(
        email=email, password=helpers.PASSWORD, display_name="Ria", language="nl"
    )
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
    user.refresh_from_db()
    return user


def make_approved_shop(owner: User, name: str = "Bakkerij Ria") -> Shop:
    """A shop `owner` applied for and an approver approved (its ledger account opened)."""
    approver = helpers.make_user(f"approver-{owner.pk}@example.org", "approver")
    shop = shop_services.shop_apply(
        owner=owner,
        name=name,
        address="Markt 1, Heerlen",
        category=Shop._meta.get_field("category").choices[0][0],  # type: ignore[index]
        iban="NL91ABNA0417164300",
    )
    return shop_services.shop_approve(staff=approver, shop_id=shop.pk)


# --- staff two-factor ------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpKey:
    """What an authenticator app knows about a device: the secret and its parameters."""

    bin_key: bytes
    step: int = 30
    t0: int = 0
    digits: int = 6


SECRET_IN_URI = re.compile(r"otpauth://totp/[^\s\"'<>]*[?&]secret=([A-Z2-7]+)", re.IGNORECASE)
SECRET_IN_TEXT = re.compile(r"\b((?:[A-Z2-7]{4}\s?){4,}[A-Z2-7]*)\b")


def setup_device(page: Any, user: User) -> TotpKey:
    """The secret the two-factor setup page offers `user`: their newest unconfirmed device, or
    else the secret the page shows (an otpauth:// link or the key written out)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is not None:
        return TotpKey(device.bin_key, device.step, device.t0, device.digits)
    html = page.content()
    found = SECRET_IN_URI.search(html) or SECRET_IN_TEXT.search(
        page.get_by_role("main").inner_text()
    )
    assert found, "the setup page shows no secret and there is no unconfirmed device"
    secret = re.sub(r"\s", "", found.group(1)).upper()
    return TotpKey(base64.b32decode(secret + "=" * (-len(secret) % 8)))


def staff_device(user: User) -> TotpKey:
    """A confirmed authenticator of `user` (made as tests.helpers makes them)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or (
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    )
    return TotpKey(device.bin_key, device.step, device.t0, device.digits)


def totp_now(key: TotpKey, *, steps: int = 0) -> str:
    """The code an authenticator app shows now (or `steps` periods away) for `key`."""
    code = totp(key.bin_key, step=key.step, t0=key.t0 - steps * key.step, digits=key.digits)
    return str(code).zfill(key.digits)


def wrong_code(key: TotpKey) -> str:
    """A well-formed code that is not valid around now."""
    valid = {totp_now(key, steps=n) for n in range(-3, 4)}
    return next(c for c in ("000000", "123456", "999999", "424242") if c not in valid)


def code_input(page: Any) -> Any:
    """The field a staff member types the code into: the one editable text box of the page's
    form (its label is checked by the accessibility tests)."""
    box = page.get_by_role("main").locator(
        "form input:not([type=hidden]):not([type=submit]):not([readonly]):not([disabled])"
    )
    expect(box).to_have_count(1)
    return box
