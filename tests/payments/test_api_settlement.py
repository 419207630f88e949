"""API of vouchers and settlement: staff with the right role and a TOTP-verified session,
shops only their own; bad input is a problem+json and changes nothing."""

from datetime import timedelta

import pytest
import sepaxml
import xmlschema
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from payments.models import Payment, SepaExport, Settlement, Voucher, VoucherBatch
from tests.helpers import make_user, staff_login
from tests.payments.settle_helpers import balance, shop_fund, vouchers_issued

pytest_plugins = ["tests.payments.settle_fixtures"]

XSD = f"{sepaxml.__path__[0]}/schemas/pain.001.001.03.xsd"


def client_for(user, *, totp=True):
    client = APIClient()
    if totp:
        staff_login(client, user)
    else:
        client.force_login(user)
    return client


def batch_body(for_campaign, **changes):
    body = {
        "campaign": for_campaign.pk,
        "name": "Voedselbank",
        "value": 500,
        "count": 3,
        "expires_at": (timezone.now() + timedelta(days=60)).isoformat(),
    }
    body.update(changes)
    return body


def test_staff_ask_approve_and_print_a_batch_once(manager, approver, campaign):
    api = client_for(manager)
    response = api.post("/api/v1/staff/voucher-batches/", batch_body(campaign), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["value"], body["count"], body["redeemed"], body["campaign"]) == (
        500,
        3,
        0,
        campaign.pk,
    )
    assert "vouchers" not in body
    assert balance(campaign.budget_id) == 100_000
    approved = client_for(approver).post(f"/api/v1/staff/voucher-batches/{body['id']}/approve/")
    assert approved.status_code == 200, approved.json()
    assert balance(campaign.budget_id) == 100_000 - 1_500
    sheet = api.post(f"/api/v1/staff/voucher-batches/{body['id']}/sheet/")
    assert sheet.status_code == 201, sheet.json()
    assert len(sheet.json()["vouchers"]) == 3
    listing = api.get("/api/v1/staff/voucher-batches/").json()
    assert listing["count"] == 1
    assert "vouchers" not in listing["results"][0]  # the codes are not shown again
    assert listing["results"][0]["id"] == body["id"]
    assert listing["results"][0]["sheet_printed_at"] is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"value": 0},
        {"value": "lots"},
        {"value": 10**40},
        {"count": 1001},
        {"count": None},
        {"name": "x" * 101},
        {"name": ""},
        {"campaign": "one"},
        {"expires_at": "tomorrow"},
        {"expires_at": (timezone.now() - timedelta(days=1)).isoformat()},
        {"value": 10_000, "count": 11},
    ],
)
def test_bad_batches_are_problems_and_change_nothing(manager, campaign, changes):
    response = client_for(manager).post(
        "/api/v1/staff/voucher-batches/", batch_body(campaign, **changes), format="json"
    )
    assert response.status_code in (400, 422), response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert VoucherBatch.objects.count() == 0
    assert balance(campaign.budget_id) == 100_000


def test_an_unknown_campaign_is_not_found(manager, campaign):
    response = client_for(manager).post(
        "/api/v1/staff/voucher-batches/", batch_body(campaign, campaign=999_999), format="json"
    )
    assert response.status_code == 404


def test_the_till_redeems_a_voucher_once(manager, approver, campaign, shop, cashier, other_shop):
    codes = vouchers_issued(manager, approver, campaign, count=3).vouchers
    code = codes[0].code
    till = APIClient()
    till.force_login(cashier)
    url = f"/api/v1/shops/{shop.pk}/vouchers/redeem/"
    first = till.post(url, {"code": code}, format="json")
    assert first.status_code == 201, first.json()
    assert (first.json()["amount"], first.json()["method"]) == (500, "voucher")
    again = till.post(url, {"code": code}, format="json")
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/voucher-used"
    for bad in ({"code": "nonsense"}, {"code": "x" * 101}, {}, {"code": 12}):
        refused = till.post(url, bad, format="json")
        assert refused.status_code in (400, 422)
    other = till.post(
        f"/api/v1/shops/{other_shop.pk}/vouchers/redeem/",
        {"code": codes[1].code},
        format="json",
    )
    assert other.status_code == 404
    assert Payment.objects.count() == 1
    assert balance(shop.account_id) == 500
    assert Voucher.objects.filter(redeemed_at__isnull=False).count() == 1


def test_the_owner_requests_and_lists_settlements(owner, shop, cashier, other_shop):
    shop_fund(shop, 2_000)
    api = APIClient()
    api.force_login(owner)
    url = f"/api/v1/shops/{shop.pk}/settlements/"
    created = api.post(url, {"amount": 1_500}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "requested"
    assert created.json()["payout_cents"] == 1_500
    listing = api.get(url).json()
    assert (listing["balance"], listing["available"]) == (2_000, 500)
    assert [s["id"] for s in listing["settlements"]] == [created.json()["id"]]
    for bad in ({"amount": 501}, {"amount": 0}, {"amount": "all"}, {}, {"amount": 10**20}):
        refused = api.post(url, bad, format="json")
        assert refused.status_code in (400, 422), bad
        assert refused["Content-Type"] == "application/problem+json"
    assert api.get(f"/api/v1/shops/{other_shop.pk}/settlements/").status_code == 404
    assert (
        api.post(
            f"/api/v1/shops/{other_shop.pk}/settlements/", {"amount": 1}, format="json"
        ).status_code
        == 404
    )
    till = APIClient()
    till.force_login(cashier)
    assert till.post(url, {"amount": 100}, format="json").status_code == 403
    assert till.get(url).status_code == 403
    assert Settlement.objects.count() == 1


def test_approve_export_download_and_pay(owner, shop, approver, finance):
    shop_fund(shop, 3_000)
    requested = Settlement.objects.get(pk=_request(owner, shop, 2_500))
    staff = client_for(approver)
    queue = staff.get("/api/v1/staff/settlements/?status=requested").json()
    assert [s["id"] for s in queue["results"]] == [requested.pk]
    assert staff.get("/api/v1/staff/settlements/?status=nonsense").status_code == 400
    approved = staff.post(f"/api/v1/staff/settlements/{requested.pk}/approve/")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert staff.post(f"/api/v1/staff/settlements/{requested.pk}/approve/").status_code == 409
    assert balance(shop.account_id) == 500

    money = client_for(finance)
    export = money.post("/api/v1/staff/sepa-exports/")
    assert export.status_code == 201, export.json()
    assert (export.json()["total_cents"], export.json()["count"]) == (2_500, 1)
    assert money.post("/api/v1/staff/sepa-exports/").status_code == 409  # nothing left
    download = money.get(f"/api/v1/staff/sepa-exports/{export.json()['id']}/pain.001.xml")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert "attachment" in download["Content-Disposition"]
    xmlschema.XMLSchema(XSD).validate(download.content.decode())
    assert AuditEvent.objects.filter(action="sepa_export.download", actor=finance).exists()
    paid = money.post(f"/api/v1/staff/sepa-exports/{export.json()['id']}/paid/")
    assert paid.status_code == 200
    assert Settlement.objects.get(pk=requested.pk).status == "paid"
    assert money.post(f"/api/v1/staff/sepa-exports/{export.json()['id']}/paid/").status_code == 409
    assert money.get("/api/v1/staff/sepa-exports/999999/pain.001.xml").status_code == 404


def _request(owner, shop, amount):
    api = APIClient()
    api.force_login(owner)
    response = api.post(f"/api/v1/shops/{shop.pk}/settlements/", {"amount": amount}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_reject_needs_a_reason(owner, shop, approver):
    shop_fund(shop, 1_000)
    settlement_id = _request(owner, shop, 1_000)
    staff = client_for(approver)
    url = f"/api/v1/staff/settlements/{settlement_id}/reject/"
    for bad in ({}, {"reason": ""}, {"reason": "x" * 501}):
        assert staff.post(url, bad, format="json").status_code == 400
    assert Settlement.objects.get(pk=settlement_id).status == "requested"
    rejected = staff.post(url, {"reason": "Wrong IBAN"}, format="json")
    assert rejected.status_code == 200
    assert rejected.json()["reason"] == "Wrong IBAN"
    assert (
        staff.post("/api/v1/staff/settlements/999999/reject/", {"reason": "x"}).status_code == 404
    )


STAFF_CALLS = [
    ("get", "/api/v1/staff/voucher-batches/", Role.TASK_MANAGER),
    ("post", "/api/v1/staff/voucher-batches/", Role.TASK_MANAGER),
    ("post", "/api/v1/staff/voucher-batches/{b}/approve/", Role.APPROVER),
    ("post", "/api/v1/staff/voucher-batches/{b}/reject/", Role.APPROVER),
    ("post", "/api/v1/staff/voucher-batches/{b}/sheet/", Role.TASK_MANAGER),
    ("get", "/api/v1/staff/settlements/", Role.APPROVER),
    ("post", "/api/v1/staff/settlements/{s}/approve/", Role.APPROVER),
    ("post", "/api/v1/staff/settlements/{s}/reject/", Role.APPROVER),
    ("post", "/api/v1/staff/sepa-exports/", Role.FINANCE),
    ("get", "/api/v1/staff/sepa-exports/{e}/pain.001.xml", Role.FINANCE),
    ("post", "/api/v1/staff/sepa-exports/{e}/paid/", Role.FINANCE),
]


@pytest.fixture
def in_flight(owner, shop, approver, finance):
    """One exported settlement and one still requested."""
    from payments import settlement as svc

    shop_fund(shop, 2_000)
    exported = svc.settlement_request(owner=owner, shop_id=shop.pk, amount=1_000)
    svc.settlement_approve(approver=approver, settlement_id=exported.pk)
    export = svc.sepa_export_create(actor=finance)
    waiting = svc.settlement_request(owner=owner, shop_id=shop.pk, amount=500)
    return waiting, export


@pytest.mark.parametrize(("method", "url", "role"), STAFF_CALLS)
def test_wrong_roles_and_unverified_sessions_are_refused(in_flight, campaign, method, url, role):
    waiting, export = in_flight
    target = url.format(s=waiting.pk, e=export.pk, b=999_999)
    wrong = Role.REVIEWER if role != Role.REVIEWER else Role.FINANCE
    if role == Role.APPROVER and "settlements/" in target and method == "get":
        wrong = Role.TASK_MANAGER
    stranger = make_user(f"wrong-{wrong}@example.org", wrong)
    assert getattr(client_for(stranger), method)(target, {}, format="json").status_code == 403
    right = make_user(f"right-{role}@example.org", role)
    unverified = getattr(client_for(right, totp=False), method)(target, {}, format="json")
    assert unverified.status_code == 403
    assert unverified.json()["type"] == "/problems/two-factor-required"
    resident = make_user("resident-z@example.org", Role.RESIDENT)
    assert getattr(client_for(resident, totp=False), method)(target).status_code == 403
    assert getattr(APIClient(), method)(target).status_code in (401, 403)
    waiting.refresh_from_db()
    assert waiting.status == "requested"
    assert Settlement.objects.filter(status="exported").count() == 1
    assert SepaExport.objects.count() == 1
    assert VoucherBatch.objects.count() == 0
    assert not AuditEvent.objects.filter(action="sepa_export.download").exists()
