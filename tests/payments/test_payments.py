"""Paying in a shop: the resident's one-time code charged at the till, the shop's signed
payment request paid from the wallet once, the poster, limits, and every refusal leaving the
money where it was."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import NotAResident, NotFound
from payments import codes, keys, selectors, services
from payments.errors import (
    CodeExpired,
    CodeMalformed,
    CodeUnknown,
    CodeUsed,
    InsufficientBalance,
    LimitExceeded,
    OwnShop,
    PaymentError,
    RequestNotOpen,
    ShopNotAccepting,
    SignatureInvalid,
    TooManyAttempts,
    UnknownKey,
    WrongCurrency,
)
from payments.models import Payment, PaymentMethod, PaymentRequest, PayToken, RequestStatus
from shops import services as shop_services
from shops.models import ShopMember, ShopRole
from tests.concurrency import outcomes, run_together
from tests.payments.pay_fixtures import balance, money_snapshot, new_pem, public_pem, resident

pytest_plugins = ["tests.payments.pay_fixtures"]


# --- resident's code -----------------------------------------------------------------------


def test_a_cashier_charges_a_residents_code_once(shop, cashier, anna):
    issued = services.pay_token_issue(user=anna)
    assert issued.payload == "HEITJE:1:P:" + issued.token
    assert not PayToken.objects.filter(token_hash=issued.token).exists()  # only the hash
    payment = services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=1250, code=issued.payload
    )
    assert (payment.amount, payment.method, payment.resident, payment.cashier) == (
        1250,
        PaymentMethod.RESIDENT_CODE,
        anna,
        cashier,
    )
    assert balance(anna.resident.wallet_id) == 20_000 - 1250
    assert balance(shop.account_id) == 1250
    assert payment.transfer.idempotency_key == f"paytoken:{PayToken.objects.get().pk}"
    assert payment.transfer.metadata["shop"] == shop.name
    before = money_snapshot()
    with pytest.raises(CodeUsed):
        services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=issued.token)
    assert money_snapshot() == before
    assert balance(anna.resident.wallet_id) == 18_750


def test_the_short_code_works_once_and_the_owner_may_charge(shop, owner, anna):
    issued = services.pay_token_issue(user=anna)
    typed = f"{issued.short_code[:4]} {issued.short_code[4:]}"
    services.charge_with_token(cashier=owner, shop_id=shop.pk, amount=500, code=typed)
    with pytest.raises(CodeUnknown):  # used short codes are no longer found
        services.charge_with_token(cashier=owner, shop_id=shop.pk, amount=500, code=typed)
    assert balance(shop.account_id) == 500


def test_an_expired_code_is_refused_and_nothing_is_posted(shop, cashier, anna):
    issued = services.pay_token_issue(user=anna)
    PayToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    before = money_snapshot()
    with pytest.raises(CodeExpired):
        services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=issued.token)
    with pytest.raises(CodeUnknown):
        services.charge_with_token(
            cashier=cashier, shop_id=shop.pk, amount=100, code=issued.short_code
        )
    assert money_snapshot() == before


def test_a_new_code_ends_the_older_ones(shop, cashier, anna):
    first = services.pay_token_issue(user=anna)
    second = services.pay_token_issue(user=anna)
    with pytest.raises(CodeExpired):
        services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=first.token)
    services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=second.token)


def test_too_few_tokens_refuses_and_the_code_stays_usable(shop, cashier, bert):
    issued = services.pay_token_issue(user=bert, confirm_up_to=5_001)
    before = money_snapshot()
    with pytest.raises(InsufficientBalance):
        services.charge_with_token(
            cashier=cashier, shop_id=shop.pk, amount=5_001, code=issued.token
        )
    assert money_snapshot() == before
    assert PayToken.objects.get().used_at is None
    services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=5_000, code=issued.token)
    assert balance(bert.resident.wallet_id) == 0


@pytest.mark.parametrize("amount", [0, -5, True, "100", 10_001])
def test_amounts_out_of_range_are_refused(settings, shop, cashier, anna, amount):
    settings.PAYMENT_MAX = 10_000
    issued = services.pay_token_issue(user=anna)
    before = money_snapshot()
    with pytest.raises(PaymentError):
        services.charge_with_token(
            cashier=cashier, shop_id=shop.pk, amount=amount, code=issued.token
        )
    assert money_snapshot() == before


def test_the_daily_maximum_counts_todays_payments_net_of_refunds(settings, shop, cashier, anna):
    settings.PAYMENT_DAILY_MAX = 3_000
    settings.PAYMENT_CONFIRM_ABOVE = 10_000
    first = services.charge_with_token(
        cashier=cashier,
        shop_id=shop.pk,
        amount=2_000,
        code=services.pay_token_issue(user=anna).token,
    )
    issued = services.pay_token_issue(user=anna)
    with pytest.raises(LimitExceeded):
        services.charge_with_token(
            cashier=cashier, shop_id=shop.pk, amount=1_001, code=issued.token
        )
    services.refund(actor=cashier, shop_id=shop.pk, payment_id=first.pk, amount=500)
    services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=1_500, code=issued.token)
    assert services.resident_spent_today(user_id=anna.pk) == 3_000
    # yesterday's payments do not count
    Payment.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert services.resident_spent_today(user_id=anna.pk) == 0


def test_above_the_threshold_the_charge_waits_for_the_residents_confirmation(
    settings, shop, cashier, anna
):
    settings.PAYMENT_CONFIRM_ABOVE = 2_500
    plain = services.pay_token_issue(user=anna)
    before = money_snapshot()
    waiting = services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=2_501, code=plain.token
    )
    assert isinstance(waiting, PaymentRequest)
    assert (waiting.amount, waiting.status, waiting.short_code) == (2_501, "open", "")
    assert money_snapshot() == before  # nothing paid until the resident confirms
    payload = services.payment_request_payload(waiting)
    paid = services.payment_request_pay(user=anna, payload=payload)
    assert paid.amount == 2_501
    # the code is used up by the confirmed payment
    with pytest.raises(CodeUsed):
        services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=plain.token)
    confirmed = services.pay_token_issue(user=anna, confirm_up_to=4_000)
    services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=4_000, code=confirmed.token)
    assert balance(shop.account_id) == 6_501


def test_a_charge_waiting_for_confirmation_is_paid_only_by_that_resident(
    settings, shop, cashier, anna, bert
):
    settings.PAYMENT_CONFIRM_ABOVE = 2_500
    issued = services.pay_token_issue(user=anna)
    waiting = services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=3_000, code=issued.token
    )
    assert isinstance(waiting, PaymentRequest)
    before = money_snapshot()
    with pytest.raises(CodeUnknown):
        services.payment_request_pay(user=bert, payload=services.payment_request_payload(waiting))
    assert money_snapshot() == before


def test_short_code_guessing_is_rate_limited_per_till(shop, cashier, owner, anna):
    issued = services.pay_token_issue(user=anna)
    wrong = "00000000" if issued.short_code != "00000000" else "11111111"
    for _ in range(services.SHORT_CODE_FAILURES_MAX):
        with pytest.raises(CodeUnknown):
            services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=wrong)
    with pytest.raises(TooManyAttempts) as refused:
        services.charge_with_token(
            cashier=cashier, shop_id=shop.pk, amount=100, code=issued.short_code
        )
    assert refused.value.status == 429
    assert PayToken.objects.get().used_at is None
    # the owner at the same shop counts separately
    services.charge_with_token(cashier=owner, shop_id=shop.pk, amount=100, code=issued.short_code)


def test_only_members_charge_and_only_into_their_own_shop(shop, other_shop, cashier, anna):
    issued = services.pay_token_issue(user=anna)
    stranger = resident("stranger@example.org")
    before = money_snapshot()
    with pytest.raises(NotFound):
        services.charge_with_token(cashier=stranger, shop_id=shop.pk, amount=100, code=issued.token)
    with pytest.raises(NotFound):
        services.charge_with_token(
            cashier=cashier, shop_id=other_shop.pk, amount=100, code=issued.token
        )
    assert money_snapshot() == before
    payment = services.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=100, code=issued.token
    )
    assert payment.shop == shop
    assert balance(other_shop.account_id) == 0


def test_a_suspended_shop_cannot_charge(shop, cashier, anna, approver):
    shop_services.shop_suspend(staff=approver, shop_id=shop.pk, reason="Inspection")
    issued = services.pay_token_issue(user=anna)
    before = money_snapshot()
    with pytest.raises(ShopNotAccepting):
        services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=issued.token)
    with pytest.raises(ShopNotAccepting):
        services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=100)
    assert money_snapshot() == before


def test_a_cashier_cannot_charge_their_own_code(shop, cashier):
    worker = resident("worker@example.org", funded=1_000)
    ShopMember.objects.create(shop=shop, user=worker, role=ShopRole.CASHIER)
    issued = services.pay_token_issue(user=worker)
    with pytest.raises(OwnShop):
        services.charge_with_token(cashier=cashier, shop_id=shop.pk, amount=100, code=issued.token)
    assert Payment.objects.count() == 0


def test_only_residents_get_a_code(cashier):
    with pytest.raises(NotAResident):
        services.pay_token_issue(user=cashier)


@pytest.mark.django_db(transaction=True)
def test_two_tills_using_one_code_at_the_same_moment_make_one_payment(signing_key, approver):
    from tests.helpers import make_user
    from tests.payments.pay_fixtures import approved_shop

    owner = make_user("owner@example.org")
    shop = approved_shop(owner, approver)
    second = make_user("second@example.org")
    ShopMember.objects.create(shop=shop, user=second, role=ShopRole.CASHIER)
    anna = resident("anna@example.org", funded=10_000)
    issued = services.pay_token_issue(user=anna)
    tills = [(owner, 2_000), (second, 1_500)]
    results = run_together(
        2,
        lambda i: services.charge_with_token(
            cashier=tills[i][0], shop_id=shop.pk, amount=tills[i][1], code=issued.token
        ),
    )
    payments = [o for o in results if isinstance(o, Payment)]
    refusals = [o for o in results if isinstance(o, CodeUsed)]
    assert len(payments) == 1
    assert len(refusals) == 1
    assert Payment.objects.count() == 1
    assert balance(anna.resident.wallet_id) == 10_000 - payments[0].amount
    assert balance(shop.account_id) == payments[0].amount


# --- shop's payment request ----------------------------------------------------------------


def test_a_payment_request_is_previewed_then_paid_once(shop, cashier, anna):
    request, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=875)
    assert payload.startswith("HEITJE:1:R:")
    state = selectors.request_status(request_id=request.pk, shop=shop)
    assert state.status == "open"
    assert state.payment_id is None
    preview = services.payment_request_preview(user=anna, payload=payload)
    assert (preview.shop_name, preview.amount, preview.currency) == (shop.name, 875, "HEITJE")
    assert Payment.objects.count() == 0  # a preview pays nothing
    payment = services.payment_request_pay(user=anna, payload=payload)
    assert (payment.amount, payment.method, payment.request, payment.cashier) == (
        875,
        PaymentMethod.SHOP_REQUEST,
        request,
        cashier,
    )
    assert payment.transfer.idempotency_key == f"payreq:{request.nonce}"
    state = selectors.request_status(request_id=request.pk, shop=shop)
    assert (state.status, state.payment_id) == ("paid", payment.pk)
    bert = resident("bert@example.org", funded=5_000)
    before = money_snapshot()
    with pytest.raises(RequestNotOpen):
        services.payment_request_pay(user=anna, payload=payload)
    with pytest.raises(RequestNotOpen):
        services.payment_request_pay(user=bert, payload=payload)
    assert money_snapshot() == before
    assert balance(anna.resident.wallet_id) == 20_000 - 875


def test_tampered_requests_are_refused_with_nothing_posted(shop, cashier, anna):
    _request, payload = services.payment_request_create(
        cashier=cashier, shop_id=shop.pk, amount=875
    )
    before = money_snapshot()
    for position in range(len(payload)):
        replacement = "B" if payload[position] != "B" else "C"
        tampered = payload[:position] + replacement + payload[position + 1 :]
        with pytest.raises(PaymentError):
            services.payment_request_pay(user=anna, payload=tampered)
    assert money_snapshot() == before
    services.payment_request_pay(user=anna, payload=payload)  # the untouched one still pays


def test_an_expired_request_is_refused(shop, cashier, anna):
    request, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=875)
    past = timezone.now() - timedelta(seconds=1)
    request.expires_at = past.replace(microsecond=0)
    request.save()
    expired = services.payment_request_payload(request)
    with pytest.raises(CodeExpired):
        services.payment_request_pay(user=anna, payload=expired)
    assert selectors.request_status(request_id=request.pk, shop=shop).status == "expired"
    with pytest.raises(CodeUnknown):  # the old text no longer matches the record
        services.payment_request_pay(user=anna, payload=payload)
    assert Payment.objects.count() == 0


def test_a_request_in_another_currency_is_refused(shop, cashier, anna):
    forged = codes.request_encode(
        codes.SignedRequest(
            key_id=keys.signing_key_id(),
            shop_id=shop.pk,
            amount=875,
            currency="EURO",
            nonce=codes.nonce_new(),
            expires_at=timezone.now() + timedelta(minutes=5),
        )
    )
    with pytest.raises(WrongCurrency):
        services.payment_request_pay(user=anna, payload=forged)
    assert Payment.objects.count() == 0


def test_a_validly_signed_request_the_shop_never_made_is_refused(shop, cashier, anna):
    request, _payload = services.payment_request_create(
        cashier=cashier, shop_id=shop.pk, amount=875
    )
    other_amount = codes.request_encode(
        codes.SignedRequest(
            key_id=request.key_id,
            shop_id=shop.pk,
            amount=1,
            currency="HEITJE",
            nonce=request.nonce,
            expires_at=request.expires_at,
        )
    )
    with pytest.raises(CodeUnknown):
        services.payment_request_pay(user=anna, payload=other_amount)
    assert Payment.objects.count() == 0


def test_requests_with_wrong_or_forged_keys_are_refused(settings, shop, cashier, anna):
    request, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=875)
    settings.PAYMENT_SIGNING_KEY = new_pem()  # the shop's key is rotated away and not kept
    with pytest.raises(UnknownKey):
        services.payment_request_pay(user=anna, payload=payload)
    forged = codes.request_encode(
        codes.SignedRequest(
            key_id=keys.signing_key_id(),
            shop_id=shop.pk,
            amount=875,
            currency="HEITJE",
            nonce=request.nonce,
            expires_at=request.expires_at,
        )
    )
    with pytest.raises(CodeUnknown):  # signed by a key we know, but not the request's
        services.payment_request_pay(user=anna, payload=forged)
    assert Payment.objects.count() == 0


def test_a_request_in_flight_survives_a_rotation(settings, signing_key, shop, cashier, anna):
    _request, payload = services.payment_request_create(
        cashier=cashier, shop_id=shop.pk, amount=875
    )
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = [public_pem(signing_key)]
    assert services.payment_request_pay(user=anna, payload=payload).amount == 875


def test_a_signature_from_another_key_is_refused(settings, shop, cashier, anna, signing_key):
    _request, payload = services.payment_request_create(
        cashier=cashier, shop_id=shop.pk, amount=875
    )
    original_kid = keys.signing_key_id()
    settings.PAYMENT_SIGNING_KEY = new_pem()
    signature = codes.b64url_encode(keys.signing_key().sign(payload.split(".")[0].encode()))
    settings.PAYMENT_SIGNING_KEY = signing_key
    assert keys.signing_key_id() == original_kid
    with pytest.raises(SignatureInvalid):
        services.payment_request_pay(user=anna, payload=payload.split(".")[0] + "." + signature)
    assert Payment.objects.count() == 0


def test_a_cancelled_request_cannot_be_paid(shop, cashier, anna):
    request, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=875)
    services.payment_request_cancel(cashier=cashier, shop_id=shop.pk, request_id=request.pk)
    assert selectors.request_status(request_id=request.pk, shop=shop).status == "cancelled"
    with pytest.raises(RequestNotOpen):
        services.payment_request_pay(user=anna, payload=payload)
    assert Payment.objects.count() == 0


def test_the_till_sees_only_its_own_requests(shop, other_shop, cashier):
    request, _payload = services.payment_request_create(
        cashier=cashier, shop_id=shop.pk, amount=875
    )
    assert selectors.request_status(request_id=request.pk, shop=other_shop) is None
    with pytest.raises(NotFound):
        services.payment_request_create(cashier=cashier, shop_id=other_shop.pk, amount=875)


def test_a_shop_owner_cannot_pay_their_own_request(approver, signing_key):
    from tests.payments.pay_fixtures import approved_shop

    owner = resident("baker@example.org", funded=5_000)
    own = approved_shop(owner, approver, name="Eigen Zaak")
    _request, payload = services.payment_request_create(cashier=owner, shop_id=own.pk, amount=875)
    with pytest.raises(OwnShop):
        services.payment_request_pay(user=owner, payload=payload)
    with pytest.raises(OwnShop):
        services.pay_static_shop(user=owner, shop=own.pk, amount=100)
    assert Payment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_one_request_paid_from_two_phones_at_once_is_paid_once(signing_key, approver):
    from tests.helpers import make_user
    from tests.payments.pay_fixtures import approved_shop

    owner = make_user("owner@example.org")
    shop = approved_shop(owner, approver)
    payers = [resident(f"payer{i}@example.org", funded=5_000) for i in range(2)]
    request, payload = services.payment_request_create(cashier=owner, shop_id=shop.pk, amount=900)
    results = run_together(
        2, lambda i: services.payment_request_pay(user=payers[i], payload=payload)
    )
    assert outcomes(results) == ["RequestNotOpen", "ok"]
    assert isinstance(next(r for r in results if not isinstance(r, Exception)), Payment)
    assert Payment.objects.count() == 1
    assert balance(shop.account_id) == 900
    request.refresh_from_db()
    assert request.status == RequestStatus.PAID


# --- poster --------------------------------------------------------------------------------


def test_a_poster_payment_goes_to_the_shop_it_names(shop, anna):
    assert services.static_shop(codes.shop_encode(shop.pk)) == shop
    payment = services.pay_static_shop(user=anna, shop=codes.shop_encode(shop.pk), amount=300)
    assert (payment.shop, payment.method, payment.cashier) == (shop, "static_qr", None)
    again = services.pay_static_shop(user=anna, shop=shop.pk, amount=300, idempotency_key="k-1")
    assert (
        services.pay_static_shop(user=anna, shop=shop.pk, amount=300, idempotency_key="k-1")
        == again
    )
    with pytest.raises(PaymentError):
        services.pay_static_shop(user=anna, shop=shop.pk, amount=301, idempotency_key="k-1")
    assert balance(shop.account_id) == 600


def test_poster_payments_are_refused_for_unknown_or_suspended_shops(shop, anna, approver):
    with pytest.raises(NotFound):
        services.pay_static_shop(user=anna, shop="HEITJE:1:S:999999", amount=300)
    with pytest.raises(CodeMalformed):
        services.pay_static_shop(user=anna, shop="HEITJE:1:R:1", amount=300)
    shop_services.shop_suspend(staff=approver, shop_id=shop.pk, reason="Inspection")
    with pytest.raises(NotFound):  # the same answer as an unknown shop
        services.pay_static_shop(user=anna, shop=shop.pk, amount=300)
    assert Payment.objects.count() == 0


def test_a_frozen_wallet_neither_gets_a_code_nor_pays(shop, anna):
    from ledger import services as ledger_services
    from payments.errors import WalletNotOpen

    ledger_services.account_freeze(account_id=anna.resident.wallet_id, reason="test")
    with pytest.raises(WalletNotOpen):
        services.pay_token_issue(user=anna)
    with pytest.raises(WalletNotOpen):
        services.pay_static_shop(user=anna, shop=shop.pk, amount=300)
    assert Payment.objects.count() == 0


def test_the_shops_day_and_the_residents_payments(shop, cashier, anna):
    services.pay_static_shop(user=anna, shop=shop.pk, amount=300)
    services.pay_static_shop(user=anna, shop=shop.pk, amount=200)
    day = selectors.shop_day_payments(shop=shop)
    assert (day.total, len(day.payments)) == (500, 2)
    assert (
        selectors.shop_day_payments(shop=shop, day=timezone.localdate() - timedelta(days=1)).total
        == 0
    )
    mine = list(selectors.resident_payments(user=anna))
    assert [p.shop.name for p in mine] == [shop.name, shop.name]
    assert [p.amount for p in mine] == [200, 300]
