"""The payment path's statements written as SQL (core.rows) load what the ORM would: the same
instances, field for field, with the same relations cached, and the same rows locked; its two
answers, written out as dicts, are what their serializers would write."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.authentication import ApiTokenAuthentication
from accounts.models import ApiToken, ResidentProfile
from accounts.tokens import api_token_create
from payments import codes
from payments.api_common import PayCodeSerializer, ShopPaymentSerializer, _shop_payment
from payments.models import Payment, PayToken
from payments.services import pay_token_issue, payment_charge
from payments.services.common import _lock_pay_token, _lock_profile_by_token, _lock_profile_of
from shops.models import Shop, ShopStatus
from shops.selectors import shop_membership

pytest_plugins = ["tests.payments.pay_fixtures"]


def fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_membership_loads_the_shop_its_account_and_currency(shop, cashier):
    expected = Shop.objects.select_related("account__currency").get(pk=shop.pk)
    with CaptureQueriesContext(connection) as queries:
        membership = shop_membership(user=cashier, shop_id=shop.pk)
        assert fields(membership.shop) == fields(expected)
        assert fields(membership.shop.account) == fields(expected.account)
        assert fields(membership.shop.account.currency) == fields(expected.account.currency)
        assert membership.shop.account.shop is membership.shop
        assert membership.role == "cashier"
        assert not membership.shop._state.adding
    assert len(queries) == 1


def test_a_shop_without_an_account_has_none_cached(shop, cashier):
    Shop.objects.filter(pk=shop.pk).update(account=None, status=ShopStatus.PENDING)
    with CaptureQueriesContext(connection) as queries:
        assert shop_membership(user=cashier, shop_id=shop.pk).shop.account is None
    assert len(queries) == 1


def test_the_profile_and_code_locks_load_what_the_orm_would(anna):
    issued = pay_token_issue(user=anna)
    digest = codes.token_hash(issued.token)
    expected = ResidentProfile.objects.select_related("wallet").get(user=anna)
    expected_code = PayToken.objects.get(token_hash=digest)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        for profile in (_lock_profile_of(anna.pk), _lock_profile_by_token(digest)):
            assert profile is not None
            assert fields(profile) == fields(expected)
            assert fields(profile.wallet) == fields(expected.wallet)
        code = _lock_pay_token(token_hash=digest)
        assert code is not None
        assert fields(code) == fields(expected_code)
        assert fields(_lock_pay_token(pk=code.pk)) == fields(code)
        assert _lock_pay_token(token_hash="0" * 64) is None
        assert _lock_profile_by_token("0" * 64) is None
    assert len(queries) == 6
    assert all(q["sql"].rstrip().endswith("FOR UPDATE") for q in queries.captured_queries)


def test_the_token_check_loads_the_token_and_its_person(rf, anna):
    key = api_token_create(user=anna).key
    request = rf.get("/", HTTP_AUTHORIZATION=f"Token {key}")
    user, token = ApiTokenAuthentication().authenticate(request)
    stored = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert fields(token) == {**fields(stored), "last_used_at": token.last_used_at}
    assert fields(user) == fields(stored.user)
    assert token.user is user


def test_a_charge_returns_the_payment_as_stored(shop, cashier, anna):
    issued = pay_token_issue(user=anna)
    payment = payment_charge(cashier=cashier, shop_id=shop.pk, amount=250, code=issued.payload)
    assert isinstance(payment, Payment)
    assert not payment._state.adding
    assert fields(payment) == fields(Payment.objects.get(pk=payment.pk))
    assert PayToken.objects.get(token_hash=codes.token_hash(issued.token)).payment_id == payment.pk


def test_the_code_and_charge_answers_are_their_serializers(shop, cashier, anna):
    wallet, till = APIClient(), APIClient()
    wallet.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=anna).key}")
    till.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=cashier).key}")
    code = wallet.post("/api/v1/wallet/pay-codes/", {"confirm_up_to": 300}, format="json")
    assert code.status_code == 201
    issued = PayToken.objects.get(resident=anna)
    assert (
        code.json()
        == PayCodeSerializer(
            {**code.json(), "expires_at": issued.expires_at, "confirm_up_to": 300}
        ).data
    )
    charged = till.post(
        f"/api/v1/shops/{shop.pk}/charges/",
        {"amount": 250, "code": code.json()["payload"]},
        format="json",
    )
    assert charged.status_code == 201
    payment = Payment.objects.get(pk=charged.json()["id"])
    assert charged.json() == ShopPaymentSerializer(_shop_payment(payment)).data
    assert charged.json()["cashier"] is not None
