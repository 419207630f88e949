"""Browser tests of paying in a shop, with a real camera path: Chromium's fake camera plays a
video of a QR code (tests/browser/fake_camera.py), and the page's scanner (static/js/scanner.js:
BarcodeDetector where the browser has it, else the vendored jsQR) reads it.

1. The till scans a resident's code and charges it.
2. The wallet scans a till's signed payment request and pays; the till, open on another
   device, shows "paid" without reloading.
3. Every payment page passes axe and has no sideways scroll on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role, User
from ledger import selectors as ledger_selectors
from payments import services, voucher_batches
from payments.models import Payment, PaymentRequest
from shops.models import ShopMember, ShopRole
from tests import helpers
from tests.browser.conftest import (
    CHROMIUM,
    PHONE,
    axe_serious,
    code_input,
    fund_wallet,
    make_approved_shop,
    make_resident,
    sign_in,
    staff_device,
    totp_now,
    tr,
)
from tests.browser.fake_camera import qr_video
from tests.payments.pay_fixtures import new_pem
from tests.rewards.core_helpers import funded_campaign

CAMERA_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(autouse=True)
def signing_key(settings: Any) -> None:
    """A fresh payment signing key (not the development key under var/), and codes that live
    long enough for a browser to start."""
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = []
    settings.PAY_TOKEN_SECONDS = 300


@pytest.fixture
def camera(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """Open a phone-sized page in a Chromium whose camera shows the QR code of a payload.
    One browser per video (the file is a launch flag), closed after the test."""
    launched: list[Any] = []

    def _open(video: Any) -> Any:
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[*CAMERA_FLAGS, f"--use-file-for-fake-video-capture={video}"],
        )
        launched.append(chromium)
        context = chromium.new_context(
            base_url=live_server.url, viewport=PHONE, locale="nl-NL", permissions=["camera"]
        )
        context.set_default_timeout(15_000)
        return context.new_page()

    yield _open
    for chromium in launched:
        chromium.close()


def balance(account_id: int | None) -> int:
    assert account_id is not None
    return ledger_selectors.account_balance(account_id=account_id)


def shop_with_cashier() -> tuple[Any, User, User]:
    owner = helpers.make_user("owner@example.org", Role.RESIDENT)
    shop = make_approved_shop(owner)
    cashier = helpers.make_user("cashier@example.org")
    ShopMember.objects.create(shop=shop, user=cashier, role=ShopRole.CASHIER)
    return shop, owner, cashier


def staff_sign_in(page: Any, user: User) -> None:
    key = staff_device(user)
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/staff/2fa/verify/"))
    box = code_input(page)
    box.fill(totp_now(key))
    box.press("Enter")
    page.wait_for_url(lambda url: "/staff/2fa/" not in urlsplit(url).path)


def test_the_till_scans_a_residents_code_and_charges_it(camera: Any, tmp_path: Any) -> None:
    shop, _owner, cashier = shop_with_cashier()
    ria = make_resident()
    fund_wallet(ria, 5_000)
    code = services.pay_token_issue(user=ria)
    page = camera(qr_video(tmp_path / "resident-code.y4m", code.payload))

    sign_in(page, cashier.email)
    page.goto(f"/shop/{shop.pk}/till/")
    keypad = page.locator("[data-keypad]")
    expect(keypad).to_be_visible()
    for key in ("1", "2", ".", "5", "0"):
        keypad.locator(f'button[data-key="{key}"]').click()
    expect(page.locator("#id_amount")).to_have_value(re.compile(r"^12[.,]50$"))
    page.locator("#id_code_scan").click()

    paid = page.locator("#result-paid")
    expect(paid).to_be_visible()
    expect(paid.locator("data")).to_have_attribute("value", "1250")
    expect(paid).to_contain_text(re.compile(r"12[.,]50"))
    payment = Payment.objects.get()
    assert (payment.amount, payment.resident_id, payment.cashier_id) == (1250, ria.pk, cashier.pk)
    assert balance(ria.resident.wallet_id) == 5_000 - 1250
    shop.refresh_from_db()
    assert balance(shop.account_id) == 1250


def test_the_wallet_scans_the_tills_code_and_the_till_sees_it_paid(
    camera: Any, new_context: Any, tmp_path: Any
) -> None:
    shop, _owner, cashier = shop_with_cashier()
    ria = make_resident()
    fund_wallet(ria, 5_000)
    made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=875)

    counter = new_context(viewport={"width": 1024, "height": 768}).new_page()
    sign_in(counter, cashier.email)
    counter.goto(f"/shop/{shop.pk}/till/request/{made.pk}/")
    expect(counter.locator("#request-qr svg")).to_be_visible()
    expect(counter.locator("#request-paid")).to_have_count(0)

    phone = camera(qr_video(tmp_path / "till-code.y4m", payload))
    sign_in(phone, ria.email)
    phone.goto("/wallet/pay/scan/")
    phone.locator("#id_payload_scan").click()
    shop_label = tr(phone, "%(name)s · shop %(number)d") % {"name": shop.name, "number": shop.pk}
    expect(phone.locator("#confirm-shop")).to_have_text(shop_label)
    expect(phone.locator("#confirm-amount data")).to_have_attribute("value", "875")
    assert not Payment.objects.exists()  # nothing paid before the resident confirms
    phone.locator("#confirm-pay").click()
    expect(phone.locator("#paid-shop")).to_have_text(shop_label)

    # The till, untouched since it opened, turns to paid by itself.
    expect(counter.locator("#request-paid")).to_be_visible(timeout=5_000)
    expect(counter.locator("#request-status data")).to_have_attribute("value", "875")
    made.refresh_from_db()
    assert made.status == "paid"
    assert balance(ria.resident.wallet_id) == 5_000 - 875
    shop.refresh_from_db()
    assert balance(shop.account_id) == 875


def test_every_payment_page_passes_axe(new_context: Any, settings: Any) -> None:
    shop, owner, cashier = shop_with_cashier()
    ria = make_resident()
    fund_wallet(ria, 5_000)
    payment = services.charge_with_token(
        cashier=cashier,
        shop_id=shop.pk,
        amount=500,
        code=services.pay_token_issue(user=ria).payload,
    )
    made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=300)
    checked: list[str] = []

    def check(page: Any, path: str | None = None) -> None:
        if path is not None:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, path
        problems = axe_serious(page)
        assert not problems, f"{page.url}: {problems}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways"
        assert page.locator("h1").count() == 1, page.url
        checked.append(urlsplit(page.url).path)

    till = f"/shop/{shop.pk}/till/"
    owner_page = new_context().new_page()
    sign_in(owner_page, owner.email)
    for path in (
        till,
        f"{till}request/",
        f"{till}request/{made.pk}/",
        f"{till}today/",
        f"{till}payments/{payment.pk}/refund/",
        f"{till}voucher/",
        f"{till}poster/",
        f"{till}settlements/",
    ):
        check(owner_page, path)
    # Errors on the fields pass too.
    owner_page.goto(till)
    owner_page.locator("#id_amount").fill("abc")
    owner_page.locator("#id_code").fill("12345678")
    owner_page.locator("#charge-submit").click()
    expect(owner_page.locator("#id_amount")).to_have_attribute("aria-invalid", "true")
    check(owner_page)

    phone = new_context().new_page()
    sign_in(phone, ria.email)
    for path in ("/wallet/pay/", "/wallet/pay/scan/", "/wallet/pay/history/"):
        check(phone, path)
    phone.goto("/wallet/pay/scan/")
    phone.locator("#id_payload").fill(payload)
    phone.locator("#scan-submit").click()
    expect(phone.locator("#confirm-shop")).to_be_visible()
    check(phone)
    phone.locator("#confirm-pay").click()
    expect(phone.locator("#paid-shop")).to_be_visible()
    check(phone)
    phone.goto("/wallet/pay/scan/")
    phone.locator("#id_payload").fill("HEITJE:1:R:forged")
    phone.locator("#scan-submit").click()
    expect(phone.locator("#id_payload")).to_have_attribute("aria-invalid", "true")
    check(phone)

    approver = helpers.make_user("staff-approver@example.org", Role.APPROVER, Role.FINANCE)
    manager = helpers.make_user("staff-manager@example.org", Role.TASK_MANAGER)
    finance = helpers.make_user("staff-finance@example.org", Role.FINANCE)
    campaign = funded_campaign(manager, finance, approver, amount=10_000)
    voucher_batches.voucher_batch_request(  # one batch waiting in the approver's queue
        actor=manager,
        campaign_id=campaign.pk,
        name="Winter",
        value=500,
        count=2,
        expires_at=timezone.now() + timedelta(days=30),
    )
    staff = new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff_sign_in(staff, approver)
    for path in (
        "/staff/payments/settlements/",
        "/staff/payments/exports/",
        "/staff/payments/vouchers/",
    ):
        check(staff, path)
    desk = new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff_sign_in(desk, manager)
    check(desk, "/staff/payments/vouchers/")
    assert PaymentRequest.objects.get(pk=made.pk).status == "paid"
    assert len(checked) == 19
