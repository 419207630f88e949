"""The counter for real people (issue 11), in Chromium at phone sizes (390x844, and 360x740
where layout matters), in Dutch and one other language:

1. The till's result covers the screen (paid in green, refused in red with the reason, the
   amount and the time) and the next sale is one tap.
   A ✓ or ✗ says it besides the colour, a refused amount is struck through; the charge form,
   Charge included, is on the first screen (vouchers, poster, statement behind "More").
2. The till shows a short code beside the request's QR; the wallet's Scan page takes it to
   the confirmation with the shop and the amount. Countdowns read m:ss; amounts carry the unit.
3. Above the confirmation threshold the charge waits for the resident's phone: the Pay page
   shows the shop and the amount, the resident confirms, the till turns paid.
5. Code fields open the number pad, the till's amount field keeps the phone keyboard away, and
   "Scan with the camera" and "Stop the camera" are never both shown.
6. Offline or a server error is said within seconds and what was typed stays.
7. An expired session sends the cashier to sign-in and back to the till with the amount;
   "remember this device" keeps a till signed in for a working day.
14. The day list shows a reference for each payment.

Screenshots go to var/screenshots/ (not committed)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Role, User
from payments import services
from payments.models import Payment, PaymentRequest
from shops.models import ShopMember, ShopRole
from tests import helpers
from tests.browser.conftest import (
    CHROMIUM,
    axe_serious,
    field,
    fund_wallet,
    make_approved_shop,
    make_resident,
    sign_in,
    tr,
)
from tests.browser.fake_camera import y4m_write
from tests.payments.pay_fixtures import new_pem

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
SMALL = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def signing_key(settings: Any) -> None:
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = []
    settings.PAY_TOKEN_SECONDS = 300


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"till-{name}.png"))


def counter(language: str) -> tuple[Any, User, User]:
    """A shop, its cashier and a funded resident, both speaking `language`."""
    owner = helpers.make_user("owner@example.org", Role.RESIDENT)
    shop = make_approved_shop(owner)
    cashier = helpers.make_user("cashier@example.org", preferred_language=language)
    ShopMember.objects.create(shop=shop, user=cashier, role=ShopRole.CASHIER)
    ria = make_resident()
    User.objects.filter(pk=ria.pk).update(preferred_language=language)
    fund_wallet(ria, 10_000)
    return shop, cashier, ria


def on_keypad(page: Any, amount: str) -> None:
    keypad = page.locator("[data-keypad]")
    for key in amount:
        keypad.locator(f'button[data-key="{"." if key in ".," else key}"]').click()


def fills_the_screen(page: Any, selector: str) -> None:
    # htmx settles a swapped element with the old one's classes for a moment (for CSS
    # transitions); the result is measured once its own full-screen class has arrived.
    expect(page.locator(selector)).to_have_class(re.compile(r"\bresult--full\b"))
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None
    assert (box["x"], box["y"]) == (0, 0), box
    assert (box["width"], box["height"]) == (size["width"], size["height"]), box


def in_view(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0, (selector, box)
    assert box["y"] + box["height"] <= page.viewport_size["height"], (selector, box)


@pytest.mark.parametrize("language", ["nl", "de"])
@pytest.mark.parametrize("viewport", [PHONE, SMALL], ids=["390x844", "360x740"])
def test_the_result_fills_the_screen_and_the_next_sale_is_one_tap(
    new_context: Any, language: str, viewport: dict[str, int]
) -> None:
    shop, cashier, ria = counter(language)
    page = new_context(viewport=viewport).new_page()
    sign_in(page, cashier.email)
    page.goto(f"/shop/{shop.pk}/till/")
    amount = page.locator("#id_amount")
    # The keypad types; the phone keyboard stays away. Codes open the number pad.
    expect(amount).to_have_attribute("inputmode", "none")
    expect(page.locator("#id_code")).to_have_attribute("inputmode", "numeric")
    scanner = page.locator("[data-scanner]")
    expect(scanner.locator("[data-scanner-stop]")).to_be_hidden()
    # The counter's everyday tabs in sight, the rest behind "More"; the whole charge form,
    # Charge included, on the first screen.
    for tab in ("#tab-charge", "#tab-request", "#tab-day", "#till-more"):
        expect(page.locator(tab)).to_be_visible()
    expect(page.locator("#tab-voucher")).to_be_hidden()
    assert page.evaluate("window.scrollY") == 0
    for part in ("#id_amount", "[data-keypad]", "#id_code", "#charge-submit"):
        in_view(page, part)
    shot(page, f"charge-{language}-{viewport['width']}")

    # Refused: red, with the reason, the amount and the time; what was typed stays.
    on_keypad(page, "3,20")
    page.locator("#id_code").fill("00000000")
    page.locator("#charge-submit").click()
    refused = page.locator("#result-refused")
    expect(refused).to_be_visible()
    fills_the_screen(page, "#result-refused")
    expect(refused).to_contain_text(tr(page, "Not paid"))
    expect(refused).to_contain_text(tr(page, "This code is unknown or no longer valid."))
    expect(refused.locator("data")).to_have_attribute("value", "320")
    expect(refused.locator("data")).to_have_text(re.compile(r"^3[.,]20\s+Heitje$"))
    expect(refused.locator(".result__mark")).to_have_text("✗")  # not told by colour alone
    struck = refused.locator("data").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert struck == "line-through"  # this amount was not charged
    expect(refused.locator("time")).to_be_visible()
    for part in (
        ".result__title",
        ".result__reason",
        ".result__amount",
        "#result-retry",
        "#next-sale",
    ):
        in_view(page, f"#result-refused {part}")
    assert refused.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(176, 0, 32)"
    shot(page, f"refused-{language}-{viewport['width']}")
    problems = axe_serious(page)
    assert not problems, problems
    page.locator("#result-retry").click()
    expect(refused).to_have_count(0)
    expect(amount).to_have_value(re.compile(r"^3[.,]20$"))

    # Paid: green, the amount, the time, one tap to the next sale.
    code = services.pay_token_issue(user=ria)
    page.locator("#id_code").fill(code.short_code)
    page.locator("#charge-submit").click()
    paid = page.locator("#result-paid")
    expect(paid).to_be_visible()
    fills_the_screen(page, "#result-paid")
    expect(paid).to_contain_text(tr(page, "Paid"))
    expect(paid.locator("data")).to_have_attribute("value", "320")
    expect(paid.locator("data")).to_have_text(re.compile(r"^3[.,]20\s+Heitje$"))
    expect(paid.locator(".result__mark")).to_have_text("✓")
    assert paid.locator("data").evaluate("e => getComputedStyle(e).textDecorationLine") == "none"
    for part in (".result__title", ".result__amount", "time", "#next-sale"):
        in_view(page, f"#result-paid {part}")
    assert paid.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 110, 79)"
    expect(page.locator("#next-sale")).to_be_focused()
    shot(page, f"paid-{language}-{viewport['width']}")
    problems = axe_serious(page)
    assert not problems, problems
    page.locator("#next-sale").click()
    expect(page.locator("#result-paid")).to_have_count(0)
    expect(amount).to_have_value("")
    expect(page.locator("#id_code")).to_have_value("")
    assert Payment.objects.get().amount == 320


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_shops_short_code_is_typed_in_the_wallet(new_context: Any, language: str) -> None:
    shop, cashier, ria = counter(language)
    till = new_context().new_page()
    sign_in(till, cashier.email)
    till.goto(f"/shop/{shop.pk}/till/request/")
    on_keypad(till, "8,75")
    till.locator("#request-submit").click()
    short = till.locator("#request-short-code")
    expect(short).to_be_visible()
    typed = short.inner_text()
    assert re.fullmatch(r"\d{3} \d{3} \d{3}", typed), typed
    in_view(till, "#request-short-code")
    amount = ("8.75" if language == "en" else "8,75") + "\N{NO-BREAK SPACE}Heitje"
    expect(till.locator("#request-code-title")).to_have_text(
        tr(till, "Pay %(amount)s") % {"amount": amount}
    )
    # The time left as a clock reads it, never "297 seconds".
    expect(till.locator("#request-status .countdown")).to_have_text(
        re.compile(r"^\D*[0-5]:[0-5]\d\D*$")
    )
    till.set_viewport_size(SMALL)
    in_view(till, "#request-short-code")
    shot(till, f"request-code-{language}-360")
    till.set_viewport_size(PHONE)
    expect(till.get_by_text(tr(till, "Code as text"))).to_have_count(0)
    shot(till, f"request-code-{language}")
    problems = axe_serious(till)
    assert not problems, problems

    phone = new_context().new_page()
    sign_in(phone, ria.email)
    phone.goto("/wallet/pay/scan/")
    box = phone.locator("#id_payload")
    expect(box).to_have_attribute("inputmode", "numeric")
    expect(phone.locator("[data-scanner-stop]")).to_be_hidden()
    box.fill(typed)
    phone.locator("#scan-submit").click()
    shop_label = tr(phone, "%(name)s · shop %(number)d") % {"name": shop.name, "number": shop.pk}
    expect(phone.locator("#confirm-shop")).to_have_text(shop_label)
    expect(phone.locator("#confirm-amount data")).to_have_attribute("value", "875")
    expect(phone.locator("#confirm-amount")).to_contain_text("Heitje")
    expect(phone.locator("#confirm-pay")).to_contain_text("Heitje")
    in_view(phone, "#confirm-pay")
    shot(phone, f"scan-confirm-{language}")
    assert not Payment.objects.exists()
    phone.locator("#confirm-pay").click()
    expect(phone.locator("#paid-result")).to_be_visible()
    in_view(phone, "#paid-result")
    shot(phone, f"scan-paid-{language}")

    expect(till.locator("#request-paid")).to_be_visible(timeout=5_000)
    fills_the_screen(till, "#request-status")
    shot(till, f"request-paid-{language}")
    till.locator("#next-sale").click()
    expect(till).to_have_url(re.compile(rf"/shop/{shop.pk}/till/request/$"))


@pytest.mark.parametrize("language", ["nl", "de"])
def test_a_larger_amount_is_confirmed_on_the_residents_phone_in_one_round(
    new_context: Any, language: str
) -> None:
    shop, cashier, ria = counter(language)
    phone = new_context().new_page()
    sign_in(phone, ria.email)
    phone.goto("/wallet/pay/")
    short = phone.locator("#short-code")
    expect(short).to_be_visible()
    code = re.sub(r"\s", "", short.inner_text())

    till = new_context().new_page()
    sign_in(till, cashier.email)
    till.goto(f"/shop/{shop.pk}/till/")
    above = django_settings.PAYMENT_CONFIRM_ABOVE + 500  # 30,00 with the default threshold
    on_keypad(till, str(above // 100))
    till.locator("#id_code").fill(code)
    till.locator("#charge-submit").click()
    waiting = till.locator("#request-waiting")
    expect(waiting).to_be_visible()
    fills_the_screen(till, "#request-status")
    expect(till.locator("#request-status .result__reason")).to_contain_text("Heitje")
    shot(till, f"confirm-waiting-{language}")
    problems = axe_serious(till)
    assert not problems, problems

    expect(phone.locator("#confirm-shop")).to_be_visible(timeout=6_000)
    expect(phone.locator("#confirm-amount data")).to_have_attribute("value", str(above))
    # While the shop's request is open, "show this code" and "paying more?" step aside.
    expect(phone.locator("#pay-instructions")).to_be_hidden()
    expect(phone.locator("#pay-more")).to_be_hidden()
    in_view(phone, "#confirm-pay")
    shot(phone, f"confirm-on-phone-{language}")
    assert not Payment.objects.exists()
    phone.locator("#confirm-pay").click()
    expect(phone.locator("#paid-result")).to_be_visible()

    expect(till.locator("#request-paid")).to_be_visible(timeout=5_000)
    expect(till.locator("#request-status data")).to_have_attribute("value", str(above))
    shot(till, f"confirm-paid-{language}")
    assert Payment.objects.get().amount == above
    assert PaymentRequest.objects.get().status == "paid"
    till.locator("#next-sale").click()
    expect(till).to_have_url(re.compile(rf"/shop/{shop.pk}/till/$"))
    expect(till.locator("#id_amount")).to_have_value("")


@pytest.mark.parametrize("language", ["nl", "de"])
def test_offline_and_server_errors_are_said_and_what_was_typed_stays(
    new_context: Any, language: str
) -> None:
    shop, cashier, ria = counter(language)
    context = new_context()
    till = context.new_page()
    sign_in(till, cashier.email)
    till.goto(f"/shop/{shop.pk}/till/")
    on_keypad(till, "4,50")
    till.locator("#id_code").fill("12345678")

    context.set_offline(True)
    started = time.monotonic()
    till.locator("#charge-submit").click()
    message = till.locator("#net-error")
    expect(message).to_be_visible(timeout=5_000)
    assert time.monotonic() - started < 5
    expect(message).to_have_text(
        tr(
            till,
            "No connection. Nothing was sent; what you typed is kept. Try again when the "
            "connection is back.",
        )
    )
    # The message and Charge (to try again) both on the first screen, on the smaller phone too.
    for size in (PHONE, SMALL):
        till.set_viewport_size(size)
        for part in ("#net-error", "#charge-submit"):
            in_view(till, part)
    till.set_viewport_size(PHONE)
    expect(till.locator("#id_amount")).to_have_value(re.compile(r"^4[.,]50$"))
    expect(till.locator("#id_code")).to_have_value("12345678")
    shot(till, f"offline-{language}")
    context.set_offline(False)

    till.route("**/till/charge/", lambda route: route.fulfill(status=500, body="boom"))
    till.locator("#charge-submit").click()
    expect(message).to_have_text(
        tr(
            till,
            "The server did not answer properly. Nothing was paid; what you typed is kept. "
            "Try again in a moment.",
        )
    )
    expect(till.locator("#id_amount")).to_have_value(re.compile(r"^4[.,]50$"))
    till.unroute("**/till/charge/")
    assert not Payment.objects.exists()

    phone_context = new_context()
    phone = phone_context.new_page()
    sign_in(phone, ria.email)
    phone.goto("/wallet/pay/scan/")
    phone.locator("#id_payload").fill("123 456 789")
    phone_context.set_offline(True)
    phone.locator("#scan-submit").click()
    expect(phone.locator("#net-error")).to_be_visible(timeout=5_000)
    expect(phone.locator("#id_payload")).to_have_value("123 456 789")
    shot(phone, f"scan-offline-{language}")
    phone_context.set_offline(False)


@pytest.mark.parametrize("language", ["nl", "de"])
def test_an_expired_session_goes_to_sign_in_and_back_to_the_till_with_the_amount(
    new_context: Any, language: str
) -> None:
    shop, cashier, _ria = counter(language)
    context = new_context()
    till = context.new_page()
    sign_in(till, cashier.email)
    till.goto(f"/shop/{shop.pk}/till/")
    on_keypad(till, "6,40")
    till.locator("#id_code").fill("12345678")
    context.clear_cookies(name=django_settings.SESSION_COOKIE_NAME)  # the session has ended
    till.locator("#charge-submit").click()
    till.wait_for_url(lambda url: urlsplit(url).path == "/login/")
    assert urlsplit(till.url).query == f"next=/shop/{shop.pk}/till/"
    expect(till.locator("#charge-form")).to_have_count(0)  # no till around a sign-in page
    shot(till, f"session-sign-in-{language}")
    main = till.get_by_role("main")
    field(main, till, "Email address").fill(cashier.email)
    field(main, till, "Password").fill(helpers.PASSWORD)
    field(main, till, "Remember this device").check()
    main.get_by_role("button", name=tr(till, "Sign in"), exact=True).click()
    till.wait_for_url(lambda url: urlsplit(url).path == f"/shop/{shop.pk}/till/")
    expect(till.locator("#id_amount")).to_have_value(re.compile(r"^6[.,]40$"))
    expect(till.locator("#id_code")).to_have_value("")  # the resident's code is never kept

    session = next(c for c in context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME)
    assert session["expires"] > time.time() + django_settings.SESSION_REMEMBER_IDLE_TIMEOUT - 60


@pytest.mark.parametrize("language", ["nl", "de"])
def test_the_day_list_tells_two_payments_of_3_20_apart(new_context: Any, language: str) -> None:
    shop, cashier, ria = counter(language)
    payments = [
        services.charge_with_token(
            cashier=cashier,
            shop_id=shop.pk,
            amount=320,
            code=services.pay_token_issue(user=ria).payload,
        )
        for _ in range(2)
    ]
    page = new_context().new_page()
    sign_in(page, cashier.email)
    page.goto(f"/shop/{shop.pk}/till/today/")
    for payment in payments:
        reference = page.locator(f"#ref-{payment.pk}")
        expect(reference).to_be_visible()
        expect(reference).to_have_text(f"{tr(page, 'Reference')} {payment.pk}")
    expect(page.locator("#day-total")).to_have_text(re.compile(r"^6[.,]40\s+Heitje$"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
    shot(page, f"day-{language}")
    problems = axe_serious(page)
    assert not problems, problems


@pytest.mark.parametrize("language", ["nl", "de"])
def test_scan_and_stop_are_never_both_shown(
    browser: Any, live_server: Any, transactional_db: None, tmp_path: Path, language: str
) -> None:
    """The camera on: only "Stop the camera"; off again: only "Scan with the camera"."""
    shop, cashier, ria = counter(language)
    blank = y4m_write(tmp_path / "blank.y4m", Image.new("L", (640, 480), 255))
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={blank}",
        ],
    )
    try:
        context = chromium.new_context(
            base_url=live_server.url, viewport=PHONE, locale="nl-NL", permissions=["camera"]
        )
        for email, path in (
            (ria.email, "/wallet/pay/scan/"),
            (cashier.email, f"/shop/{shop.pk}/till/"),
        ):
            page = context.new_page()
            sign_in(page, email)
            page.goto(path)
            start = page.locator("[data-scanner-start]")
            stop = page.locator("[data-scanner-stop]")
            expect(start).to_be_visible()
            expect(stop).to_be_hidden()
            start.click()
            expect(stop).to_be_visible()
            expect(start).to_be_hidden()
            expect(page.locator("[data-scanner-video]")).to_be_visible()
            shot(page, f"camera-on-{language}-{path.strip('/').split('/')[0]}")
            stop.click()
            expect(start).to_be_visible()
            expect(stop).to_be_hidden()
            page.close()
            context.clear_cookies()
    finally:
        chromium.close()
