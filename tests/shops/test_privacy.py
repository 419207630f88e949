"""What shops hold about a person in their data export and their erasure (shops.privacy, which
takes part through accounts.signals)."""

from rest_framework.test import APIClient

from shops import cashiers as shop_cashiers
from shops.models import CashierInvite, ShopMember
from tests.helpers import PASSWORD

pytest_plugins = ["tests.payments.pay_fixtures"]


def test_my_data_holds_my_shops_and_invitations_and_deleting_me_leaves_only_a_pseudonym(
    shop, owner, cashier, anna
):
    shop_cashiers.cashier_invite(owner=owner, shop_id=shop.pk, email="Anna@example.org")
    client = APIClient()
    client.force_login(anna)

    data = client.get("/api/v1/me/data/").json()
    assert [(i["shop"], i["email"]) for i in data["cashier_invitations"]] == [
        ("Bakkerij Kerkrade", "anna@example.org")
    ]
    assert data["shop_memberships"] == []

    response = client.post(
        "/api/v1/me/delete/", {"password": PASSWORD, "confirm": True}, format="json"
    )
    assert response.status_code == 204
    assert not CashierInvite.objects.filter(email__iexact="anna@example.org").exists()
    assert CashierInvite.objects.get().email == f"erased-{anna.pk}@erased.invalid"
    # Someone else's place in the shop is untouched.
    assert ShopMember.objects.filter(shop=shop, user=cashier).exists()


def test_a_cashier_sees_the_shop_in_their_data_and_stops_being_one_when_deleted(shop, cashier):
    client = APIClient()
    client.force_login(cashier)
    data = client.get("/api/v1/me/data/").json()
    assert [(m["shop"], m["role"], m["shop_status"]) for m in data["shop_memberships"]] == [
        ("Bakkerij Kerkrade", "cashier", "approved")
    ]
    response = client.post(
        "/api/v1/me/delete/", {"password": PASSWORD, "confirm": True}, format="json"
    )
    assert response.status_code == 204
    assert not ShopMember.objects.filter(user=cashier).exists()
    assert ShopMember.objects.filter(shop=shop, role="owner").exists()
