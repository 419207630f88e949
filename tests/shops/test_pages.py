"""The shop pages (/shop/) and the staff's shop pages (/staff/shops/): each works for the right
person, and refuses everyone else (sign in, 403, 404 or the 2FA step) with nothing changed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role
from ledger.models import Account
from shops import cashiers as shop_cashiers
from shops import services as shop_services
from shops.models import CashierInvite, Shop, ShopMember, ShopStatus
from tests.helpers import make_user, staff_login

APPLY = {
    "name": "Boekhandel Heerlen",
    "address": "Promenade 5, 6411 JB Heerlen",
    "category": "culture",
    "iban": "NL91ABNA0417164300",
    "chamber_of_commerce": "",
}


@pytest.fixture
def owner(db):
    return make_user("owner@example.org", Role.RESIDENT)


@pytest.fixture
def approver(db):
    return make_user("approver@example.org", Role.APPROVER)


@pytest.fixture
def shop(owner):
    return shop_services.shop_apply(owner=owner, **APPLY)


@pytest.fixture
def approved(shop, approver):
    return shop_services.shop_approve(staff=approver, shop_id=shop.pk)


@pytest.fixture
def cashier(approved, owner):
    person = make_user("cashier@example.org")
    _invite, token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email=person.email
    )
    shop_cashiers.cashier_invite_accept(user=person, token=token)
    return person


@pytest.fixture
def rival(db):
    person = make_user("rival@example.org", Role.RESIDENT)
    shop_services.shop_apply(owner=person, **{**APPLY, "name": "Rival"})
    return person


def snapshot():
    return (
        list(Shop.objects.order_by("pk").values()),
        list(ShopMember.objects.order_by("pk").values()),
        list(CashierInvite.objects.order_by("pk").values()),
        list(Account.objects.order_by("pk").values("pk", "status")),
        AuditEvent.objects.count(),
    )


def test_registering_a_shop(client, owner):
    client.force_login(owner)
    home = client.get("/shop/")
    assert home.status_code == 200
    assert b'href="/shop/apply/"' in home.content
    form = client.get("/shop/apply/").content.decode()
    for name in ("name", "address", "category", "iban", "chamber_of_commerce"):
        assert f'<label for="id_{name}"' in form

    response = client.post("/shop/apply/", {**APPLY, "iban": "nl91 abna 0417 1643 00"})
    shop = Shop.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/shop/{shop.pk}/"
    assert (shop.status, shop.iban) == (ShopStatus.PENDING, "NL91ABNA0417164300")
    page = client.get(f"/shop/{shop.pk}/").content.decode()
    assert APPLY["name"] in page
    assert "Pending approval" in page


def test_a_wrong_iban_is_explained_next_to_the_field(client, owner):
    client.force_login(owner)
    response = client.post("/shop/apply/", {**APPLY, "iban": "NL91ABNA0417164301"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_iban_error"' in page
    assert "This IBAN is not valid. Check it for a typing error." in page
    assert 'aria-describedby="id_iban_helptext id_iban_error"' in page
    assert 'aria-invalid="true"' in page
    assert Shop.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"address": ""}, "address"),
        ({"category": "casino"}, "category"),
        ({"chamber_of_commerce": "12-34"}, "chamber_of_commerce"),
        ({"iban": ""}, "iban"),
    ],
)
def test_bad_input_on_the_form_changes_nothing(client, owner, change, field):
    client.force_login(owner)
    response = client.post("/shop/apply/", {**APPLY, **change})
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Shop.objects.count() == 0


def test_an_unverified_email_is_told_to_confirm_first(client, db):
    person = make_user("new@example.org", email_verified_at=None)
    client.force_login(person)
    assert b"Confirm your email address first" in client.get("/shop/apply/").content
    response = client.post("/shop/apply/", APPLY)
    assert response.status_code == 200
    assert Shop.objects.count() == 0


def test_the_owner_sees_balance_and_manages_cashiers(
    client, approved, owner, cashier, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    page = client.get(f"/shop/{approved.pk}/").content.decode()
    assert 'id="shop-balance"' in page
    assert cashier.email in page
    assert approved.iban in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/shop/{approved.pk}/cashiers/invite/", {"email": "new@example.org"}
        )
    assert response.status_code == 302
    invite = CashierInvite.objects.get(email="new@example.org")
    assert [m.to for m in mail.outbox] == [["new@example.org"]]
    assert "new@example.org" in client.get(f"/shop/{approved.pk}/").content.decode()

    bad = client.post(f"/shop/{approved.pk}/cashiers/invite/", {"email": "nope"})
    assert bad.status_code == 422
    assert 'id="id_email_error"' in bad.content.decode()

    assert client.post(f"/shop/{approved.pk}/invites/{invite.pk}/revoke/").status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    remove = client.post(f"/shop/{approved.pk}/cashiers/{cashier.pk}/remove/")
    assert remove.status_code == 302
    assert not ShopMember.objects.filter(user=cashier).exists()


def test_the_owner_edits_the_details(client, approved, owner):
    client.force_login(owner)
    assert client.get(f"/shop/{approved.pk}/edit/").status_code == 200
    bad = client.post(f"/shop/{approved.pk}/edit/", {**APPLY, "iban": "DE00370400440532013000"})
    assert "This IBAN is not valid" in bad.content.decode()
    assert Shop.objects.get(pk=approved.pk).iban == APPLY["iban"]
    good = client.post(f"/shop/{approved.pk}/edit/", {**APPLY, "name": "Boekhandel Centrum"})
    assert good.status_code == 302
    # An approved shop's new name waits for staff (tests/shops/test_pages_trust.py).
    assert Shop.objects.get(pk=approved.pk).pending_name == "Boekhandel Centrum"
    assert "Boekhandel Centrum" in client.get(f"/shop/{approved.pk}/").content.decode()


def test_a_cashier_sees_the_shop_but_not_its_iban_or_cashiers(client, approved, cashier):
    client.force_login(cashier)
    page = client.get(f"/shop/{approved.pk}/").content.decode()
    assert approved.name in page
    assert approved.iban not in page
    assert 'id="cashiers"' not in page
    assert "Cashier" in client.get("/shop/").content.decode()


OWNER_PAGES = [
    ("get", "/shop/{shop}/edit/", None),
    ("post", "/shop/{shop}/edit/", {**APPLY, "name": "Taken"}),
    ("post", "/shop/{shop}/cashiers/invite/", {"email": "x@example.org"}),
    ("post", "/shop/{shop}/cashiers/{cashier}/remove/", None),
    ("post", "/shop/{shop}/invites/{invite}/revoke/", None),
]


@pytest.mark.parametrize(("method", "url", "data"), OWNER_PAGES)
def test_owner_pages_refuse_everyone_else(
    client, approved, owner, cashier, rival, method, url, data
):
    invite, _token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email="k@example.org"
    )
    url = url.format(shop=approved.pk, cashier=cashier.pk, invite=invite.pk)
    before = snapshot()
    anonymous = getattr(client, method)(url, data or {})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=")
    client.force_login(cashier)
    assert getattr(client, method)(url, data or {}).status_code == 403
    for person in (rival, make_user("resident@example.org", Role.RESIDENT)):
        client.force_login(person)
        assert getattr(client, method)(url, data or {}).status_code == 404
    assert snapshot() == before


def test_shop_pages_send_anonymous_visitors_to_sign_in_and_hide_others_shops(
    client, approved, rival
):
    for url in ("/shop/", "/shop/apply/", f"/shop/{approved.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    client.force_login(rival)
    assert client.get(f"/shop/{approved.pk}/").status_code == 404
    assert client.get("/shop/999999/").status_code == 404


def test_accepting_an_invitation(client, approved, owner):
    _invite, token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email="k@example.org"
    )
    url = f"/shop/invite/{token}/"
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=/shop/invite/")

    other = make_user("other@example.org")
    client.force_login(other)
    wrong = client.post(url)
    assert wrong.status_code == 422
    assert "another email address" in wrong.content.decode()
    assert not ShopMember.objects.filter(user=other).exists()

    invitee = make_user("k@example.org")
    client.force_login(invitee)
    page = client.get(url)
    assert approved.name in page.content.decode()
    assert b'name="referrer" content="no-referrer"' in page.content
    accepted = client.post(url)
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/shop/{approved.pk}/"
    assert ShopMember.objects.get(user=invitee).role == "cashier"
    again = client.post(url)
    assert again.status_code == 422
    assert "already been used" in again.content.decode()


def test_an_expired_invitation_page_says_so(client, approved, owner):
    _invite, token = shop_cashiers.cashier_invite(
        owner=owner, shop_id=approved.pk, email="k@example.org"
    )
    CashierInvite.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(make_user("k@example.org"))
    before = snapshot()
    response = client.post(f"/shop/invite/{token}/")
    assert response.status_code == 422
    assert "expired" in response.content.decode()
    assert snapshot() == before


# --- staff pages -------------------------------------------------------------------------


def test_staff_approve_and_suspend_from_the_list(client, shop, approver):
    staff_login(client, approver)
    page = client.get("/staff/shops/").content.decode()
    assert shop.name in page
    assert f'action="/staff/shops/{shop.pk}/approve/"' in page

    response = client.post(f"/staff/shops/{shop.pk}/approve/", {"status": "pending"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/shops/?status=pending"
    shop.refresh_from_db()
    assert shop.status == ShopStatus.APPROVED
    assert shop.account_id is not None
    assert shop.name in client.get("/staff/shops/?status=approved").content.decode()

    form = client.get(f"/staff/shops/{shop.pk}/suspend/").content.decode()
    assert '<label for="id_reason"' in form
    empty = client.post(f"/staff/shops/{shop.pk}/suspend/", {"reason": ""})
    assert empty.status_code == 422
    assert 'id="id_reason_error"' in empty.content.decode()
    assert Shop.objects.get(pk=shop.pk).status == ShopStatus.APPROVED

    done = client.post(f"/staff/shops/{shop.pk}/suspend/", {"reason": "Fraud reported"})
    assert done.status_code == 302
    shop.refresh_from_db()
    assert (shop.status, shop.status_reason) == (ShopStatus.SUSPENDED, "Fraud reported")
    assert AuditEvent.objects.filter(action="shop.suspend", actor=approver).exists()


STAFF_PAGES = [
    ("get", "/staff/shops/", None),
    ("post", "/staff/shops/{shop}/approve/", None),
    ("get", "/staff/shops/{shop}/suspend/", None),
    ("post", "/staff/shops/{shop}/suspend/", {"reason": "because"}),
]


@pytest.mark.parametrize(("method", "url", "data"), STAFF_PAGES)
def test_staff_pages_refuse_everyone_else(client, shop, owner, method, url, data):
    url = url.format(shop=shop.pk)
    before = snapshot()
    anonymous = getattr(client, method)(url, data or {})
    assert (anonymous.status_code, anonymous["Location"][:13]) == (302, "/login/?next=")

    client.force_login(owner)
    assert getattr(client, method)(url, data or {}).status_code == 403
    staff_login(client, make_user("reviewer@example.org", Role.REVIEWER))
    assert getattr(client, method)(url, data or {}).status_code == 403

    finance = make_user("finance@example.org", Role.FINANCE)
    client.force_login(finance)  # no TOTP device yet
    setup = getattr(client, method)(url, data or {})
    assert (setup.status_code, setup["Location"]) == (302, "/staff/2fa/setup/")
    TOTPDevice.objects.create(user=finance, name="phone", confirmed=True)
    verify = getattr(client, method)(url, data or {})
    assert (verify.status_code, verify["Location"]) == (302, "/staff/2fa/verify/")
    assert snapshot() == before
