"""Trust boundaries of shops over the API (issue 9): an IBAN changes only with the owner's
password, an approved shop's new name and address wait for staff, cashier invitations are
limited and carry no free text, and the poster lookup does not tell which shops exist."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from payments import codes
from shops import services as shop_services
from shops.models import CashierInvite, Shop, ShopMember, ShopRole
from tests.helpers import PASSWORD, make_user, staff_login
from tests.payments.pay_fixtures import SHOP, approved_shop

pytest_plugins = ["tests.payments.pay_fixtures"]

NEW_IBAN = "DE89 3704 0044 0532 0130 00"


def token_client(user) -> APIClient:
    """A client holding only an API token, as a script or a stolen token would."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def staff_client(user) -> APIClient:
    client = APIClient()
    staff_login(client, user)
    return client


def problem_type(response) -> str:
    return response.json()["type"].removeprefix("/problems/")


# --- item 4: the IBAN ------------------------------------------------------------------------


def test_an_api_token_alone_cannot_change_the_iban(shop, owner):
    api = token_client(owner)
    for body in ({"iban": NEW_IBAN}, {"iban": NEW_IBAN, "password": "not-the-password"}):
        refused = api.patch(f"/api/v1/shops/{shop.pk}/", body, format="json")
        assert refused.status_code == 403
        assert problem_type(refused) == "reauthentication-required"
    shop.refresh_from_db()
    assert (shop.iban, shop.iban_changed_at) == ("NL91ABNA0417164300", None)
    assert not AuditEvent.objects.filter(action="shop.iban_change").exists()

    changed = api.patch(
        f"/api/v1/shops/{shop.pk}/", {"iban": NEW_IBAN, "password": PASSWORD}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["iban"] == "DE89370400440532013000"
    assert changed.json()["iban_changed_at"] is not None
    assert AuditEvent.objects.filter(action="shop.iban_change", actor=owner).count() == 1


def test_guessing_the_password_for_an_iban_change_locks_out(settings, shop, owner):
    api = token_client(owner)
    url = f"/api/v1/shops/{shop.pk}/"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.patch(url, {"iban": NEW_IBAN, "password": "a-wrong-guess"}, format="json")
    locked = api.patch(url, {"iban": NEW_IBAN, "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    assert problem_type(locked) == "locked-out"
    shop.refresh_from_db()
    assert shop.iban == "NL91ABNA0417164300"


def test_other_details_change_without_the_password(shop, owner):
    api = token_client(owner)
    response = api.patch(f"/api/v1/shops/{shop.pk}/", {"category": "services"}, format="json")
    assert response.status_code == 200
    shop.refresh_from_db()
    assert (shop.category, shop.iban_changed_at) == ("services", None)


# --- item 5: names and addresses -------------------------------------------------------------


def test_an_approved_shop_cannot_take_another_shops_name_without_review(
    shop, owner, other_shop, anna, approver
):
    api = token_client(owner)
    copy = {"name": other_shop.name, "address": other_shop.address}
    response = api.patch(f"/api/v1/shops/{shop.pk}/", copy, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["address"]) == (SHOP["name"], SHOP["address"])
    assert (body["pending_name"], body["pending_address"]) == (copy["name"], copy["address"])
    request = AuditEvent.objects.get(action="shop.details_change_request")
    assert request.actor == owner
    assert request.detail["name"] == {"from": SHOP["name"], "to": other_shop.name}

    # Residents keep seeing the approved name, with the number no other shop has.
    wallet = APIClient()
    wallet.force_login(anna)
    card = wallet.get("/api/v1/wallet/pay-shop/", {"shop": codes.shop_encode(shop.pk)}).json()
    assert card["shop_name"] == SHOP["name"]
    assert card["shop_label"] == f"{SHOP['name']} · shop {shop.pk}"
    other = wallet.get("/api/v1/wallet/pay-shop/", {"shop": str(other_shop.pk)}).json()
    assert other["shop_label"] != card["shop_label"]

    queue = staff_client(approver).get("/api/v1/staff/shops/", {"change_pending": "true"})
    assert [(s["id"], s["pending_name"]) for s in queue.json()["results"]] == [
        (shop.pk, other_shop.name)
    ]

    approved = staff_client(approver).post(f"/api/v1/staff/shops/{shop.pk}/change/approve/")
    assert approved.status_code == 200
    shop.refresh_from_db()
    assert (shop.name, shop.address, shop.pending_name) == (copy["name"], copy["address"], "")
    event = AuditEvent.objects.get(action="shop.details_change_approve")
    assert event.actor == approver


def test_staff_turn_a_new_name_down_and_the_shop_keeps_its_own(
    shop, owner, approver, django_capture_on_commit_callbacks
):
    token_client(owner).patch(
        f"/api/v1/shops/{shop.pk}/", {"name": "Bakkerij Bemelmans"}, format="json"
    )
    staff = staff_client(approver)
    assert (
        staff.post(f"/api/v1/staff/shops/{shop.pk}/change/reject/", {}, format="json").status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        rejected = staff.post(
            f"/api/v1/staff/shops/{shop.pk}/change/reject/",
            {"reason": "That is another shop's name."},
            format="json",
        )
    assert rejected.status_code == 200
    shop.refresh_from_db()
    assert (shop.name, shop.pending_name, shop.change_requested_at) == (SHOP["name"], "", None)
    (notice,) = mail.outbox
    assert notice.to == [owner.email]
    assert "That is another shop's name." in notice.body
    assert AuditEvent.objects.get(action="shop.details_change_reject").actor == approver
    again = staff.post(f"/api/v1/staff/shops/{shop.pk}/change/approve/")
    assert again.status_code == 409


def test_nobody_reviews_the_new_name_of_a_shop_they_belong_to(shop, owner, approver):
    token_client(owner).patch(f"/api/v1/shops/{shop.pk}/", {"name": "Renamed"}, format="json")
    colleague = make_user("staff-cashier@example.org", Role.APPROVER)
    ShopMember.objects.create(shop=shop, user=colleague, role=ShopRole.CASHIER)
    staff = staff_client(colleague)
    approve = staff.post(f"/api/v1/staff/shops/{shop.pk}/change/approve/")
    reject = staff.post(
        f"/api/v1/staff/shops/{shop.pk}/change/reject/", {"reason": "no"}, format="json"
    )
    assert (approve.status_code, reject.status_code) == (403, 403)
    shop.refresh_from_db()
    assert (shop.name, shop.pending_name) == (SHOP["name"], "Renamed")
    # Neither the owner (no staff role) nor a resident can approve it either.
    for person in (owner, make_user("resident@example.org", Role.RESIDENT)):
        api = APIClient()
        api.force_login(person)
        assert api.post(f"/api/v1/staff/shops/{shop.pk}/change/approve/").status_code == 403
    assert Shop.objects.get(pk=shop.pk).name == SHOP["name"]


def test_a_pending_shop_still_edits_its_name_directly(owner, approver, signing_key):
    pending = shop_services.shop_apply(owner=owner, **{**SHOP, "name": "Nog niet open"})
    response = token_client(owner).patch(
        f"/api/v1/shops/{pending.pk}/", {"name": "Bijna open"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["pending_name"]) == ("Bijna open", None)


# --- item 11: invitations --------------------------------------------------------------------


def test_invitations_are_limited_per_shop_per_day(
    settings, shop, owner, django_capture_on_commit_callbacks
):
    settings.CASHIER_INVITES_PER_DAY = 3
    api = token_client(owner)
    url = f"/api/v1/shops/{shop.pk}/cashiers/invite/"
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):  # re-inviting one address counts too
            assert api.post(url, {"email": "k@example.org"}, format="json").status_code == 201
        refused = api.post(url, {"email": "other@example.org"}, format="json")
    assert refused.status_code == 429
    assert problem_type(refused) == "too-many-invites"
    assert len(mail.outbox) == 3
    assert CashierInvite.objects.filter(shop=shop).count() == 3
    assert not CashierInvite.objects.filter(email="other@example.org").exists()


def test_the_invitation_mail_carries_no_text_the_owner_typed_freely(
    shop, owner, django_capture_on_commit_callbacks
):
    owner.display_name = "Bank\r\nSubject: urgent\nLog in at https://evil.example/"
    owner.save(update_fields=["display_name"])
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(owner).post(
            f"/api/v1/shops/{shop.pk}/cashiers/invite/",
            {"email": "stranger@example.org"},
            format="json",
        )
    assert response.status_code == 201
    (invitation,) = mail.outbox
    assert "evil.example" not in invitation.body
    assert "urgent" not in invitation.body + invitation.subject
    assert f"{SHOP['name']} · shop {shop.pk}" in invitation.body


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Anna\nClick https://evil.example", "Anna Click https://evil.example"),
        ("Anna\u202egnp.exe", "Anna gnp.exe"),
        ("  Anna\x1b[31m\t Smit\u2028", "Anna [31m Smit"),
    ],
)
def test_display_names_lose_control_characters(anna, typed, stored):
    api = APIClient()
    api.force_login(anna)
    response = api.patch("/api/v1/me/", {"display_name": typed}, format="json")
    assert response.status_code == 200
    anna.refresh_from_db()
    assert anna.display_name == stored


def test_a_shop_name_is_one_line(owner):
    api = token_client(owner)
    response = api.post(
        "/api/v1/shops/", {**SHOP, "name": "Bakkerij\nKerkrade\u200b"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Bakkerij Kerkrade"


# --- item 16: the poster lookup --------------------------------------------------------------


def test_the_poster_lookup_does_not_tell_which_shops_exist(shop, owner, approver, anna):
    pending = shop_services.shop_apply(
        owner=make_user("p@example.org"), **{**SHOP, "name": "Pending"}
    )
    suspended = approved_shop(make_user("s@example.org"), approver, name="Suspended")
    shop_services.shop_suspend(staff=approver, shop_id=suspended.pk, reason="Inspection")
    unknown = max(pending.pk, suspended.pk, shop.pk) + 1000
    wallet = APIClient()
    wallet.force_login(anna)
    answers = []
    for shop_id in (pending.pk, suspended.pk, unknown):
        lookup = wallet.get("/api/v1/wallet/pay-shop/", {"shop": codes.shop_encode(shop_id)})
        pay = wallet.post(
            "/api/v1/wallet/pay-shop/", {"shop": str(shop_id), "amount": 100}, format="json"
        )
        for response in (lookup, pay):
            body = response.json()
            body.pop("instance", None)
            body.pop("request_id", None)  # differs per request, whatever the shop
            answers.append((response.status_code, body))
    assert all(answer == answers[0] for answer in answers), answers
    assert answers[0][0] == 404


def test_a_payment_preview_names_the_shop_with_its_number(shop, cashier, anna):
    till = APIClient()
    till.force_login(cashier)
    made = till.post(f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 500}, format="json")
    wallet = APIClient()
    wallet.force_login(anna)
    preview = wallet.post(
        "/api/v1/wallet/pay-requests/", {"payload": made.json()["payload"]}, format="json"
    )
    assert preview.status_code == 200
    assert preview.json()["shop_label"] == f"{SHOP['name']} · shop {shop.pk}"
