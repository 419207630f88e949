"""Trust boundaries of settlement (issue 9), over the API and the staff pages: a settlement
asked soon after an IBAN change waits for staff to confirm the new IBAN, the approver sees the
change, and nobody decides on a settlement of a shop they belong to."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from payments.models import Settlement
from shops.models import Shop, ShopMember, ShopRole
from tests.helpers import PASSWORD, make_user, staff_login
from tests.payments.settle_helpers import balance, shop_fund

pytest_plugins = ["tests.payments.settle_fixtures"]

NEW_IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def funded(shop):
    shop_fund(shop, 10_000)
    return shop


def owner_api(owner) -> APIClient:
    api = APIClient()
    api.force_authenticate(owner)
    return api


def staff_api(user) -> APIClient:
    api = APIClient()
    staff_login(api, user)
    return api


def change_iban(owner, shop) -> None:
    response = owner_api(owner).patch(
        f"/api/v1/shops/{shop.pk}/", {"iban": NEW_IBAN, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content


def request_settlement(owner, shop, amount=4_000) -> dict:
    response = owner_api(owner).post(
        f"/api/v1/shops/{shop.pk}/settlements/", {"amount": amount}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_settlement_soon_after_an_iban_change_waits_for_staff(owner, funded, approver, finance):
    change_iban(owner, funded)
    asked = request_settlement(owner, funded)
    assert asked["held"] is True
    assert asked["iban"] == "DE89370400440532013000"

    queue = staff_api(approver).get("/api/v1/staff/settlements/", {"status": "requested"})
    (row,) = queue.json()["results"]
    changed_at = Shop.objects.get(pk=funded.pk).iban_changed_at
    assert datetime.fromisoformat(row["iban_changed_at"]) == changed_at
    assert row["held"] is True

    refused = staff_api(approver).post(f"/api/v1/staff/settlements/{asked['id']}/approve/")
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/settlement-held"
    assert balance(funded.account_id) == 10_000

    # The shop's own owner holds no staff role: the confirmation is not theirs to give.
    assert (
        owner_api(owner).post(f"/api/v1/staff/settlements/{asked['id']}/confirm-iban/").status_code
        == 403
    )
    confirmed = staff_api(finance).post(f"/api/v1/staff/settlements/{asked['id']}/confirm-iban/")
    assert confirmed.status_code == 200
    assert (confirmed.json()["held"], confirmed.json()["iban_confirmed_at"] is not None) == (
        False,
        True,
    )
    event = AuditEvent.objects.get(action="settlement.iban_confirm")
    assert (event.actor, event.detail["iban"]) == (finance, "DE89370400440532013000")
    twice = staff_api(finance).post(f"/api/v1/staff/settlements/{asked['id']}/confirm-iban/")
    assert twice.status_code == 409

    approved = staff_api(approver).post(f"/api/v1/staff/settlements/{asked['id']}/approve/")
    assert approved.status_code == 200
    assert balance(funded.account_id) == 6_000


def test_a_member_of_the_shop_cannot_confirm_its_new_iban(owner, funded, approver):
    change_iban(owner, funded)
    asked = request_settlement(owner, funded)
    colleague = make_user("staff-cashier@example.org", Role.FINANCE)
    ShopMember.objects.create(shop=funded, user=colleague, role=ShopRole.CASHIER)
    refused = staff_api(colleague).post(f"/api/v1/staff/settlements/{asked['id']}/confirm-iban/")
    assert refused.status_code == 403
    assert Settlement.objects.get(pk=asked["id"]).iban_confirmed_at is None


def test_a_settlement_long_after_an_iban_change_is_not_held(owner, funded, approver):
    change_iban(owner, funded)
    Shop.objects.filter(pk=funded.pk).update(iban_changed_at=timezone.now() - timedelta(days=15))
    asked = request_settlement(owner, funded)
    assert asked["held"] is False
    assert asked["iban_changed_at"] is not None  # the approver still sees it
    approved = staff_api(approver).post(f"/api/v1/staff/settlements/{asked['id']}/approve/")
    assert approved.status_code == 200


def test_nobody_decides_on_a_settlement_of_a_shop_they_belong_to(owner, funded):
    asked = request_settlement(owner, funded)
    insider = make_user("insider@example.org", Role.APPROVER)
    ShopMember.objects.create(shop=funded, user=insider, role=ShopRole.CASHIER)
    api = staff_api(insider)
    approve = api.post(f"/api/v1/staff/settlements/{asked['id']}/approve/")
    reject = api.post(
        f"/api/v1/staff/settlements/{asked['id']}/reject/", {"reason": "no"}, format="json"
    )
    assert (approve.status_code, reject.status_code) == (403, 403)
    assert approve.json()["type"] == "/problems/not-allowed"
    assert Settlement.objects.get(pk=asked["id"]).status == "requested"
    assert balance(funded.account_id) == 10_000
    assert not AuditEvent.objects.filter(action__startswith="settlement.").exists()


# --- the staff pages -------------------------------------------------------------------------


def test_the_queue_page_shows_the_iban_change_and_confirming_releases_it(
    client, owner, funded, approver
):
    change_iban(owner, funded)
    asked = request_settlement(owner, funded)
    staff_login(client, approver)
    page = client.get("/staff/payments/settlements/").content.decode()
    assert "IBAN changed on" in page
    assert f'id="held-{asked["id"]}"' in page
    assert f"{funded.name} · shop {funded.pk}" in page

    refused = client.post(
        f"/staff/payments/settlements/{asked['id']}/approve/", follow=True
    ).content.decode()
    assert "confirms the new IBAN first" in refused
    assert balance(funded.account_id) == 10_000

    client.post(f"/staff/payments/settlements/{asked['id']}/confirm-iban/")
    page = client.get("/staff/payments/settlements/").content.decode()
    assert f'id="held-{asked["id"]}"' not in page
    client.post(f"/staff/payments/settlements/{asked['id']}/approve/")
    assert balance(funded.account_id) == 6_000


def test_a_member_approving_on_the_page_is_refused(client, owner, funded):
    asked = request_settlement(owner, funded)
    insider = make_user("insider@example.org", Role.APPROVER)
    ShopMember.objects.create(shop=funded, user=insider, role=ShopRole.CASHIER)
    staff_login(client, insider)
    page = client.post(
        f"/staff/payments/settlements/{asked['id']}/approve/", follow=True
    ).content.decode()
    assert "Nobody decides on a settlement of a shop they belong to." in page
    assert balance(funded.account_id) == 10_000
