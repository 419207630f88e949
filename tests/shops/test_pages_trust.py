"""Trust boundaries of shops on the pages (issue 9): the IBAN asks for the password, staff
review new names and addresses, the wallet names the shop with its number on every payment
confirmation, and a poster of a closed shop reads like one of no shop at all."""

import re

import pytest

from accounts.models import AuditEvent
from payments import codes, services
from payments.models import Payment
from shops import services as shop_services
from shops.models import Shop
from tests.helpers import PASSWORD, make_user, staff_login
from tests.payments.pay_fixtures import SHOP, approved_shop, resident

pytest_plugins = ["tests.payments.pay_fixtures"]

DETAILS = {**SHOP, "chamber_of_commerce": ""}


@pytest.fixture
def ria(db):
    return resident("ria@example.org", funded=10_000)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def label(shop) -> str:
    return f"{shop.name} · shop {shop.pk}"


def test_the_iban_changes_on_the_page_only_with_the_password(client, shop, owner):
    client.force_login(owner)
    new = {**DETAILS, "iban": "DE89370400440532013000"}
    for password in ("", "not-the-password"):
        refused = client.post(f"/shop/{shop.pk}/edit/", {**new, "password": password})
        assert refused.status_code == 422
        assert "That password is not right." in text(refused)
    assert Shop.objects.get(pk=shop.pk).iban == SHOP["iban"]
    saved = client.post(f"/shop/{shop.pk}/edit/", {**new, "password": PASSWORD})
    assert saved.status_code == 302
    assert Shop.objects.get(pk=shop.pk).iban == "DE89370400440532013000"


def test_a_new_name_waits_on_the_page_and_staff_approve_it(client, shop, owner, approver):
    client.force_login(owner)
    client.post(f"/shop/{shop.pk}/edit/", {**DETAILS, "name": "Bakkerij Bemelmans"})
    detail = text(client.get(f"/shop/{shop.pk}/"))
    assert f"<h1>{SHOP['name']}</h1>" in detail
    assert "Waiting for the municipality's check: Bakkerij Bemelmans" in detail

    staff_login(client, approver)
    queue = text(client.get("/staff/shops/?status=changes"))
    assert "Asks to become: Bakkerij Bemelmans" in queue
    client.post(f"/staff/shops/{shop.pk}/change/approve/", {"status": "changes"})
    assert Shop.objects.get(pk=shop.pk).name == "Bakkerij Bemelmans"
    assert AuditEvent.objects.filter(action="shop.details_change_approve").count() == 1


def test_staff_turn_a_new_name_down_on_the_page(client, shop, owner, approver):
    shop_services.shop_update(
        owner=owner, shop_id=shop.pk, **{**DETAILS, "name": "Bakkerij Bemelmans"}
    )
    staff_login(client, approver)
    form = client.get(f"/staff/shops/{shop.pk}/change/reject/")
    assert "Asked for: Bakkerij Bemelmans" in text(form)
    empty = client.post(f"/staff/shops/{shop.pk}/change/reject/", {"reason": ""})
    assert empty.status_code == 422
    done = client.post(f"/staff/shops/{shop.pk}/change/reject/", {"reason": "Not your name"})
    assert done.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.pending_name) == (SHOP["name"], "")


def test_every_wallet_confirmation_names_the_shop_with_its_number(client, shop, cashier, ria):
    client.force_login(ria)
    poster = client.post("/wallet/pay/scan/", {"payload": codes.shop_encode(shop.pk)})
    assert label(shop) in text(poster)

    _made, payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=300)
    seen = client.post("/wallet/pay/scan/", {"payload": payload})
    assert label(shop) in text(seen)
    paid = client.post("/wallet/pay/scan/confirm/", {"payload": payload, "amount": 300})
    assert label(shop) in text(client.get(paid["Location"]))


def test_a_poster_of_a_closed_shop_reads_like_no_shop(client, shop, approver, ria):
    pending = shop_services.shop_apply(
        owner=make_user("p@example.org"), **{**SHOP, "name": "Pending"}
    )
    suspended = approved_shop(make_user("s@example.org"), approver, name="Suspended")
    shop_services.shop_suspend(staff=approver, shop_id=suspended.pk, reason="Inspection")
    client.force_login(ria)
    answers = set()
    for shop_id in (pending.pk, suspended.pk, shop.pk + 1000):
        response = client.post("/wallet/pay/scan/", {"payload": codes.shop_encode(shop_id)})
        errors = re.findall(r'<p class="error">(.*?)</p>', response.content.decode())
        answers.add((response.status_code, tuple(errors)))
    assert answers == {(422, ("This code names no shop that takes payments.",))}
    assert not Payment.objects.exists()
