"""The payment pages: the till (/shop/<id>/till/), the wallet's Pay and Scan (/wallet/pay/) and
the staff's payment pages (/staff/payments/). Each works for the right person, refuses everyone
else (sign in, 403 or 404), and answers bad input with a sentence and nothing changed."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, Role, User
from payments import codes, services, vouchers
from payments.models import (
    Payment,
    PaymentRequest,
    PayToken,
    Refund,
    Settlement,
    Voucher,
    VoucherBatch,
)
from tests.helpers import make_user, staff_login
from tests.payments.pay_fixtures import balance, fund, money_snapshot, resident
from tests.payments.settle_helpers import vouchers_issued
from tests.rewards.core_helpers import funded_campaign

pytest_plugins = ["tests.payments.pay_fixtures"]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ria(db) -> User:
    return resident("ria@example.org", funded=10_000)


def till(shop, rest: str = "") -> str:
    return f"/shop/{shop.pk}/till/{rest}"


def pay_code(user: User, **options) -> services.IssuedPayCode:
    return services.pay_token_issue(user=user, **options)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the till: who gets in ----------------------------------------------------------------------


def test_the_till_opens_for_the_shops_people_only(client, shop, owner, cashier, other_shop, ria):
    pages = ["", "request/", "today/", "voucher/", "poster/"]
    anonymous = client.get(till(shop))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")

    for person in (owner, cashier):
        client.force_login(person)
        for page in pages:
            response = client.get(till(shop, page))
            assert response.status_code == 200, (person.email, page)
            assert response.content.count(b"<h1") == 1

    client.force_login(ria)  # a resident, no member: the shop does not exist for her
    for page in [*pages, "settlements/"]:
        assert client.get(till(shop, page)).status_code == 404
    client.force_login(cashier)  # a cashier of another shop
    assert client.get(till(other_shop)).status_code == 404
    assert client.get(till(shop, "settlements/")).status_code == 403
    assert client.post(till(shop, "settlements/request/"), {"amount": "1"}).status_code == 403
    assert not Settlement.objects.exists()


def test_the_charge_form_is_labelled_with_a_keypad_and_a_scanner(client, shop, cashier):
    client.force_login(cashier)
    page = client.get(till(shop)).content.decode()
    assert '<label for="id_amount"' in page
    assert '<label for="id_code"' in page
    assert 'inputmode="decimal"' in page
    assert 'data-keypad="id_amount"' in page
    assert 'data-scanner data-target="id_code"' in page
    assert "vendor/jsqr/jsQR.js" in page


# --- the till: charging ---------------------------------------------------------------------


def test_scanning_a_code_charges_the_resident_once(client, shop, cashier, ria):
    code = pay_code(ria)
    client.force_login(cashier)
    response = client.post(till(shop, "charge/"), {"amount": "12,50", "code": code.payload})
    assert response.status_code == 201
    assert 'id="result-paid"' in text(response)
    assert 'value="1250"' in text(response)
    payment = Payment.objects.get()
    assert (payment.amount, payment.resident, payment.cashier) == (1250, ria, cashier)
    assert balance(ria.resident.wallet_id) == 10_000 - 1250
    assert balance(shop.account_id) == 1250

    again = client.post(till(shop, "charge/"), {"amount": "1", "code": code.payload})
    assert again.status_code == 422
    assert "already been used" in text(again)
    assert Payment.objects.count() == 1


def test_typing_the_short_code_works_and_htmx_gets_the_block(client, shop, cashier, ria):
    code = pay_code(ria)
    client.force_login(cashier)
    typed = f"{code.short_code[:4]} {code.short_code[4:]}"
    response = client.post(till(shop, "charge/"), {"amount": "3", "code": typed}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert body.startswith('<div id="charge"')
    assert 'id="result-paid"' in body
    # the form is empty again, ready for the next customer
    assert 'name="amount" value=' not in body
    assert Payment.objects.get().amount == 300


@pytest.mark.parametrize(
    ("amount", "code", "message"),
    [
        ("", "x", "This field is required."),
        ("abc", "x", "Type an amount such as 12 or 12.50."),
        ("-5", "x", "Type an amount such as 12 or 12.50."),
        ("1.234", "x", "Type an amount such as 12 or 12.50."),
        ("0", "x", "The amount must be more than 0."),
        ("9" * 30, "x", "Ensure this value has at most 20 characters"),
        ("5", "", "This field is required."),
        ("5", "A" * 5000, "Ensure this value has at most 2000 characters"),
        ("5", "HEITJE:1:S:1", "This is not a resident&#x27;s pay code."),
        ("5", "1234567", "A short code has exactly 8 digits."),
        ("5", "12345678", "This code is unknown or no longer valid."),
        ("5", "\x00", "Null characters are not allowed."),
        ("5", "\ufffd", "Scan the resident"),
    ],
)
def test_bad_charges_say_why_and_change_nothing(client, shop, cashier, ria, amount, code, message):
    pay_code(ria)
    client.force_login(cashier)
    before = money_snapshot()
    response = client.post(till(shop, "charge/"), {"amount": amount, "code": code})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert money_snapshot() == before
    assert balance(ria.resident.wallet_id) == 10_000


def test_an_expired_code_is_refused_at_the_till(client, shop, cashier, ria):
    client.force_login(cashier)
    expired = pay_code(ria)
    PayToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(till(shop, "charge/"), {"amount": "2", "code": expired.payload})
    assert response.status_code == 422
    assert "expired" in text(response)
    assert not Payment.objects.exists()


def test_above_the_threshold_the_till_waits_for_the_residents_phone(client, shop, cashier, ria):
    """One round: the till charges, the resident's Pay page shows the shop and the amount, the
    resident confirms, the till's poll turns to paid."""
    client.force_login(cashier)
    above = settings.PAYMENT_CONFIRM_ABOVE + 100
    code = pay_code(ria)
    response = client.post(
        till(shop, "charge/"), {"amount": str(above // 100), "code": code.payload}
    )
    assert response.status_code == 202
    assert "Waiting for the resident" in text(response)
    assert not Payment.objects.exists()
    waiting = PaymentRequest.objects.get(status="open")
    poll = till(shop, f"request/{waiting.pk}/status/")
    assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204

    client.force_login(ria)
    shown = client.get("/wallet/pay/code/", headers={"HX-Request": "true"})
    assert shown.status_code == 200
    assert shop.name in text(shown)
    assert f'<data value="{above}">' in shown.content.decode()
    payload = re.search(r'name="payload" value="([^"]+)"', shown.content.decode())
    assert payload is not None
    paid = client.post("/wallet/pay/scan/confirm/", {"payload": payload.group(1), "amount": above})
    assert paid.status_code == 302
    assert Payment.objects.get().amount == above
    assert balance(ria.resident.wallet_id) == 10_000 - above

    client.force_login(cashier)
    turned = client.get(poll, headers={"HX-Request": "true"})
    assert turned.status_code == 200
    assert 'id="request-paid"' in turned.content.decode()


# --- the till: showing a payment request ----------------------------------------------------


def test_a_payment_request_is_shown_as_a_qr_and_polled_until_paid(client, shop, cashier, ria):
    client.force_login(cashier)
    response = client.post(till(shop, "request/"), {"amount": "7.5"})
    made = PaymentRequest.objects.get()
    assert made.amount == 750
    assert response.status_code == 302
    assert response["Location"] == till(shop, f"request/{made.pk}/")

    page = client.get(response["Location"])
    body = page.content.decode()
    payload = re.search(r'data-payload="([^"]+)"', body).group(1)
    assert payload.startswith(codes.REQUEST_PREFIX)
    assert "<svg" in body
    assert f'hx-get="{till(shop, f"request/{made.pk}/status/")}"' in body
    assert 'hx-trigger="every 1s"' in body

    status = till(shop, f"request/{made.pk}/status/")
    assert client.get(status, **HTMX).status_code == 204  # waiting: htmx leaves the page be
    services.payment_request_pay(user=ria, payload=payload)
    paid = client.get(status, **HTMX)
    assert paid.status_code == 200
    assert 'id="request-paid"' in paid.content.decode()
    assert "hx-trigger" not in paid.content.decode()  # the polling stops


def test_someone_elses_request_is_a_404(client, shop, cashier, other_shop, approver):
    other_cashier = make_user("other-cashier@example.org")
    other_shop.members.create(user=other_cashier, role="cashier")
    made, _payload = services.payment_request_create(
        cashier=other_cashier, shop_id=other_shop.pk, amount=100
    )
    client.force_login(cashier)
    assert client.get(till(shop, f"request/{made.pk}/")).status_code == 404
    assert client.get(till(shop, f"request/{made.pk}/status/")).status_code == 404
    assert client.post(till(shop, f"request/{made.pk}/cancel/")).status_code == 404
    assert PaymentRequest.objects.get().status == "open"


# --- the till: the day and refunds ----------------------------------------------------------


def test_the_day_lists_payments_and_refunds_respect_the_cashier_limit(
    client, shop, owner, cashier, ria
):
    code = pay_code(ria, confirm_up_to=6000)
    payment = services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=6000, code=code.payload
    )
    client.force_login(cashier)
    day = client.get(till(shop, "today/"))
    assert 'value="6000"' in text(day)
    refund_url = till(shop, f"payments/{payment.pk}/refund/")
    assert refund_url in day.content.decode()

    over = client.post(refund_url, {"amount": str(settings.CASHIER_REFUND_MAX // 100 + 1)})
    assert over.status_code == 422
    assert "ask the owner" in text(over)
    assert not Refund.objects.exists()

    ok = client.post(refund_url, {"amount": "5", "reason": "broken egg"})
    assert ok.status_code == 302
    assert balance(ria.resident.wallet_id) == 10_000 - 6000 + 500

    client.force_login(owner)
    too_much = client.post(refund_url, {"amount": "56"})
    assert too_much.status_code == 422
    assert "left to refund" in text(too_much)
    assert client.post(refund_url, {"amount": "55"}).status_code == 302
    assert balance(ria.resident.wallet_id) == 10_000
    assert [r.amount for r in Refund.objects.order_by("pk")] == [500, 5500]


def test_a_refund_of_another_shops_payment_is_a_404(client, shop, cashier, other_shop, ria):
    other_cashier = make_user("other-cashier@example.org")
    other_shop.members.create(user=other_cashier, role="cashier")
    payment = services.charge_with_token(
        cashier=other_cashier, shop_id=other_shop.pk, amount=100, code=pay_code(ria).payload
    )
    client.force_login(cashier)
    url = till(shop, f"payments/{payment.pk}/refund/")
    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "1"}).status_code == 404
    assert not Refund.objects.exists()


# --- the till: poster and vouchers ----------------------------------------------------------


def test_the_poster_names_the_shop(client, shop, cashier):
    client.force_login(cashier)
    body = client.get(till(shop, "poster/")).content.decode()
    assert shop.name in body
    assert f'data-payload="{codes.shop_encode(shop.pk)}"' in body
    assert "<svg" in body


@pytest.fixture
def campaign(approver):
    manager = make_user("manager@example.org", Role.TASK_MANAGER)
    finance = make_user("finance@example.org", Role.FINANCE)
    return funded_campaign(manager, finance, approver, amount=50_000)


def test_a_voucher_is_taken_once_at_the_till(client, shop, cashier, campaign, approver):
    manager = User.objects.get(email="manager@example.org")
    issued = vouchers_issued(manager, approver, campaign)
    client.force_login(cashier)
    bad = client.post(till(shop, "voucher/"), {"code": "NOPE"})
    assert bad.status_code == 422
    assert "not a voucher code" in text(bad)
    response = client.post(till(shop, "voucher/"), {"code": issued.vouchers[0].qr_payload})
    assert response.status_code == 201
    assert 'id="result-paid"' in text(response)
    assert balance(shop.account_id) == 500
    again = client.post(till(shop, "voucher/"), {"code": issued.vouchers[0].code})
    assert again.status_code == 422
    assert balance(shop.account_id) == 500
    assert Voucher.objects.get().redeemed_at is not None


# --- the owner's settlements ----------------------------------------------------------------


def test_the_owner_asks_to_settle_the_balance(client, shop, owner):
    fund(shop.account_id, 4000)
    client.force_login(owner)
    page = client.get(till(shop, "settlements/"))
    assert page.status_code == 200
    assert 'value="4000"' in text(page)
    bad = client.post(till(shop, "settlements/request/"), {"amount": "41"})
    assert bad.status_code == 422
    assert not Settlement.objects.exists()
    assert client.post(till(shop, "settlements/request/"), {"amount": "15"}).status_code == 302
    assert client.post(till(shop, "settlements/request/"), {"amount": ""}).status_code == 302
    assert sorted(Settlement.objects.values_list("amount", flat=True)) == [1500, 2500]
    listing = text(client.get(till(shop, "settlements/")))
    assert 'value="1500"' in listing
    assert 'value="2500"' in listing


# --- the wallet -----------------------------------------------------------------------------


def test_pay_shows_a_fresh_code_that_rotates_and_turns_paid(client, shop, cashier, ria):
    client.force_login(ria)
    page = client.get("/wallet/pay/")
    assert page.status_code == 200
    body = page.content.decode()
    token = PayToken.objects.get(resident=ria)
    assert token.short_code[:4] in body
    assert "<svg" in body
    assert 'hx-get="/wallet/pay/code/"' in body
    assert "data-countdown" in body
    assert client.get("/wallet/pay/code/", **HTMX).status_code == 204  # still fresh

    PayToken.objects.update(expires_at=timezone.now() + timedelta(seconds=5))
    rotated = client.get("/wallet/pay/code/", **HTMX)
    assert rotated.status_code == 200
    assert PayToken.objects.filter(resident=ria).count() == 2
    newest = PayToken.objects.filter(resident=ria).latest("created_at")
    assert newest.short_code[:4] in rotated.content.decode()

    short = newest.short_code
    services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=250, code=short)
    paid = client.get("/wallet/pay/code/", **HTMX).content.decode()
    assert 'id="pay-paid"' in paid
    assert shop.name in paid
    assert "hx-trigger" not in paid


def test_a_larger_payment_is_confirmed_first(client, ria):
    client.force_login(ria)
    response = client.post("/wallet/pay/", {"amount": "40"})
    assert response.status_code == 302
    assert response["Location"] == "/wallet/pay/"
    client.get(response["Location"])
    assert PayToken.objects.latest("created_at").confirm_up_to == 4000
    client.get("/wallet/pay/code/")  # the page's renewal keeps the confirmation
    assert PayToken.objects.latest("created_at").confirm_up_to == 4000
    client.get("/wallet/pay/?reset=1")
    assert PayToken.objects.latest("created_at").confirm_up_to == 0
    bad = client.post("/wallet/pay/", {"amount": "lots"})
    assert bad.status_code == 422
    assert "Type an amount" in bad.content.decode()


def test_a_link_cannot_confirm_a_larger_payment_for_the_resident(client, ria):
    """Only the resident's own form raises what a code may be charged: a link made by someone
    else (a shop's poster, a message) that names an amount changes nothing."""
    client.force_login(ria)
    client.get("/wallet/pay/?confirm=10000")
    assert PayToken.objects.latest("created_at").confirm_up_to == 0
    client.get("/wallet/pay/code/?confirm=10000")
    assert PayToken.objects.latest("created_at").confirm_up_to == 0
    assert client.get("/wallet/pay/?confirm=%C2%B2").status_code == 200


def test_the_wallet_scans_a_request_sees_shop_and_amount_and_pays(client, shop, cashier, ria):
    made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=825)
    client.force_login(ria)
    seen = client.post("/wallet/pay/scan/", {"payload": payload})
    assert seen.status_code == 200
    assert shop.name in text(seen)
    assert 'value="825"' in text(seen)
    assert not Payment.objects.exists()  # nothing paid before confirming

    paid = client.post("/wallet/pay/scan/confirm/", {"payload": payload, "amount": 825})
    payment = Payment.objects.get()
    assert paid.status_code == 302
    assert paid["Location"] == f"/wallet/pay/paid/{payment.pk}/"
    assert balance(ria.resident.wallet_id) == 10_000 - 825
    made.refresh_from_db()
    assert made.status == "paid"
    receipt = client.get(paid["Location"])
    assert shop.name in text(receipt)

    replay = client.post("/wallet/pay/scan/confirm/", {"payload": payload, "amount": 825})
    assert replay.status_code == 422
    assert Payment.objects.count() == 1
    # The payments list is the wallet's one history now, naming the shop with the amount.
    history = client.get("/wallet/pay/history/", follow=True)
    assert history.redirect_chain == [("/wallet/#statement", 302)]
    line = text(history)
    assert shop.name in line
    assert re.search(r"-8[.,]25\s+Heitje", line)


def _tampered(payload: str) -> str:
    at = len(codes.REQUEST_PREFIX) + 5
    swap = "A" if payload[at] != "A" else "B"
    return payload[:at] + swap + payload[at + 1 :]


@pytest.mark.parametrize(
    "make",
    [
        _tampered,
        lambda p: p + "x",
        lambda p: "nonsense",
        lambda p: "HEITJE:1:P:" + "a" * 24,
        lambda p: "HEITJE:1:S:999999",
        lambda p: "A" * 3000,
    ],
)
def test_bad_shop_codes_are_refused_with_nothing_paid(client, shop, cashier, ria, make):
    _made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=100)
    client.force_login(ria)
    before = money_snapshot()
    response = client.post("/wallet/pay/scan/", {"payload": make(payload)})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    confirm = client.post("/wallet/pay/scan/confirm/", {"payload": make(payload), "amount": 100})
    assert confirm.status_code == 422
    assert money_snapshot() == before


def test_a_changed_amount_on_the_confirm_form_is_refused(client, shop, cashier, ria):
    _made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=100)
    client.force_login(ria)
    response = client.post("/wallet/pay/scan/confirm/", {"payload": payload, "amount": 1})
    assert response.status_code == 422
    assert not Payment.objects.exists()


def test_a_poster_asks_the_amount_and_pays_once(client, shop, ria):
    client.force_login(ria)
    poster = codes.shop_encode(shop.pk)
    page = client.post("/wallet/pay/scan/", {"payload": poster})
    assert page.status_code == 200
    assert shop.name in text(page)
    key = re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)
    form = {"payload": poster, "amount": "4", "key": key}
    bad = client.post("/wallet/pay/scan/amount/", {**form, "amount": "-1"})
    assert bad.status_code == 422
    assert not Payment.objects.exists()
    first = client.post("/wallet/pay/scan/amount/", form)
    second = client.post("/wallet/pay/scan/amount/", form)  # sent twice: paid once
    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1
    assert balance(ria.resident.wallet_id) == 10_000 - 400


def test_wallet_pay_pages_are_for_residents(client, cashier):
    assert client.get("/wallet/pay/").status_code == 302
    staff = make_user("finance-only@example.org", Role.FINANCE)
    client.force_login(staff)
    for url in ("/wallet/pay/", "/wallet/pay/scan/", "/wallet/pay/history/"):
        assert client.get(url).status_code == 403
    assert not PayToken.objects.exists()


def test_a_receipt_of_someone_else_is_a_404(client, shop, cashier, ria):
    payment = services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=100, code=pay_code(ria).payload
    )
    client.force_login(resident("piet@example.org"))
    assert client.get(f"/wallet/pay/paid/{payment.pk}/").status_code == 404


# --- staff ----------------------------------------------------------------------------------


def test_staff_ask_approve_and_print_vouchers_once(client, campaign, approver):
    manager = User.objects.get(email="manager@example.org")
    staff_login(client, manager)
    page = client.get("/staff/payments/vouchers/")
    assert page.status_code == 200
    assert f'<option value="{campaign.pk}"' in page.content.decode()
    form = {
        "name": "Winter",
        "campaign": campaign.pk,
        "value": "5",
        "count": "3",
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    bad = client.post("/staff/payments/vouchers/request/", {**form, "count": "0"})
    assert bad.status_code == 422
    too_much = client.post(
        "/staff/payments/vouchers/request/", {**form, "value": "100", "count": "6"}
    )
    assert too_much.status_code == 422
    assert "cannot pay for this batch: it needs 600.00 tokens" in text(too_much)
    asked = client.post("/staff/payments/vouchers/request/", form, follow=True)
    assert "is requested" in text(asked)
    assert 'id="approve-' not in text(asked)  # a task manager does not decide
    batch = VoucherBatch.objects.get()
    assert (batch.status, balance(campaign.budget_id)) == ("requested", 50_000)
    assert not Voucher.objects.exists()

    staff_login(client, approver)
    queue = client.get("/staff/payments/vouchers/")
    assert f'id="approve-{batch.pk}"' in text(queue)
    assert f'id="sheet-{batch.pk}"' not in text(queue)
    approved = client.post(f"/staff/payments/vouchers/{batch.pk}/approve/", follow=True)
    assert "is approved" in text(approved)
    assert balance(campaign.budget_id) == 50_000 - 1_500
    # The approver never sees the codes.
    assert client.post(f"/staff/payments/vouchers/{batch.pk}/sheet/").status_code == 403
    assert not Voucher.objects.exists()

    staff_login(client, manager)
    listing = client.get("/staff/payments/vouchers/")
    assert f'id="sheet-{batch.pk}"' in text(listing)
    sheet = client.post(f"/staff/payments/vouchers/{batch.pk}/sheet/")
    assert sheet.status_code == 201
    assert sheet.content.decode().count('class="voucher"') == 3
    assert sheet.content.decode().count(vouchers.QR_PREFIX) == 3
    assert Voucher.objects.count() == 3
    assert sheet["Cache-Control"].startswith("max-age=0")
    assert AuditEvent.objects.filter(action="voucher_batch.sheet", actor=manager).count() == 1
    again = client.post(f"/staff/payments/vouchers/{batch.pk}/sheet/", follow=True)
    assert "already printed" in text(again)
    assert vouchers.QR_PREFIX not in text(again)
    assert Voucher.objects.count() == 3


def test_the_requester_cannot_approve_their_own_batch_on_the_page(client, campaign):
    both = make_user("both@example.org", Role.TASK_MANAGER, Role.APPROVER)
    staff_login(client, both)
    client.post(
        "/staff/payments/vouchers/request/",
        {
            "name": "Winter",
            "campaign": campaign.pk,
            "value": "5",
            "count": "3",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    batch = VoucherBatch.objects.get()
    page = client.get("/staff/payments/vouchers/")
    assert "You asked for it: someone else decides." in text(page)
    assert f'id="approve-{batch.pk}"' not in text(page)
    refused = client.post(f"/staff/payments/vouchers/{batch.pk}/approve/", follow=True)
    assert "Someone other than the requester must decide" in text(refused)
    batch.refresh_from_db()
    assert (batch.status, batch.decided_by_id) == ("requested", None)
    assert balance(campaign.budget_id) == 50_000
    assert not Voucher.objects.exists()


def test_an_approver_turns_a_batch_down_with_a_reason(client, campaign, approver):
    manager = User.objects.get(email="manager@example.org")
    staff_login(client, manager)
    client.post(
        "/staff/payments/vouchers/request/",
        {
            "name": "Winter",
            "campaign": campaign.pk,
            "value": "5",
            "count": "3",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    batch = VoucherBatch.objects.get()
    assert client.get(f"/staff/payments/vouchers/{batch.pk}/reject/").status_code == 403
    staff_login(client, approver)
    url = f"/staff/payments/vouchers/{batch.pk}/reject/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 422
    done = client.post(url, {"reason": "Not this winter"}, follow=True)
    assert "turned down" in text(done)
    batch.refresh_from_db()
    assert (batch.status, batch.decision_reason) == ("rejected", "Not this winter")
    assert balance(campaign.budget_id) == 50_000
    assert client.post(f"/staff/payments/vouchers/{batch.pk}/approve/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "rejected"
    assert balance(campaign.budget_id) == 50_000


def test_staff_roles_and_two_factor_guard_the_pages(client, campaign):
    reviewer = make_user("reviewer@example.org", Role.REVIEWER)
    staff_login(client, reviewer)
    for url in ("/staff/payments/", "/staff/payments/vouchers/", "/staff/payments/settlements/"):
        assert client.get(url).status_code == 403
    finance = User.objects.get(email="finance@example.org")
    client.force_login(finance)  # no TOTP in this session
    assert client.get("/staff/payments/exports/")["Location"].startswith("/staff/2fa/")


def test_a_settlement_is_approved_exported_downloaded_and_paid(client, shop, owner, approver):
    fund(shop.account_id, 3000)
    client.force_login(owner)
    client.post(till(shop, "settlements/request/"), {"amount": "30"})
    settlement = Settlement.objects.get()

    staff_login(client, approver)
    listing = client.get("/staff/payments/settlements/")
    assert shop.name in text(listing)
    reject = client.post(f"/staff/payments/settlements/{settlement.pk}/reject/", {"reason": ""})
    assert reject.status_code == 422
    approve = client.post(f"/staff/payments/settlements/{settlement.pk}/approve/")
    assert approve.status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == "approved"
    assert balance(shop.account_id) == 0
    assert client.get("/staff/payments/exports/").status_code == 403  # approvers do not export

    finance = make_user("finance-2@example.org", Role.FINANCE)
    staff_login(client, finance)
    assert client.post("/staff/payments/exports/new/").status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == "exported"
    download = client.get(f"/staff/payments/exports/{settlement.export_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/xml")
    assert b"<CtrlSum>30.00</CtrlSum>" in download.content
    assert AuditEvent.objects.filter(action="sepa_export.download").exists()
    assert client.post(f"/staff/payments/exports/{settlement.export_id}/paid/").status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == "paid"
    assert client.get("/staff/payments/exports/999999/download/").status_code == 404


def test_the_owner_reads_the_shop_statement_and_downloads_it(client, shop, owner, cashier, ria):
    code = pay_code(ria)
    client.force_login(cashier)
    assert (
        client.post(till(shop, "charge/"), {"amount": "3", "code": code.payload}).status_code == 201
    )
    assert client.get(till(shop, "statement/")).status_code == 403  # owners only
    client.force_login(owner)
    page = client.get(till(shop, "statement/"))
    assert page.status_code == 200
    body = text(page)
    assert "Payment by a resident" in body
    assert "+3.00" in body
    download = client.get(till(shop, "statement/") + "?format=csv")
    assert download["Content-Type"].startswith("text/csv")
    rows = download.content.decode().splitlines()
    assert rows[0] == "version,date,kind,amount,balance_after,transfer"
    assert rows[1].split(",")[2:5] == ["payment", "3.00", "3.00"]
    client.force_login(ria)
    assert client.get(till(shop, "statement/")).status_code == 404
