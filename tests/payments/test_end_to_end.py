"""End to end: a resident earns (a payout from a campaign two people funded), pays in a shop
with their code, gets part refunded; a paper voucher is redeemed there too; the owner settles
what the shop holds, someone else approves, finance exports the pain.001 (valid against its
schema, its total the settled amount minus the fee) and marks it paid; the ledger verifies."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
import sepaxml
import xmlschema
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import Account, AccountKind
from ledger.verify import ledger_verify
from payments import services as pay
from payments import settlement, vouchers
from payments.models import Settlement
from rewards import campaigns
from shops import services as shop_services
from shops.models import ShopMember, ShopRole
from tests.helpers import make_user, staff_login
from tests.payments.settle_helpers import vouchers_issued
from tests.rewards.core_helpers import resident

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = f"{sepaxml.__path__[0]}/schemas/pain.001.001.03.xsd"


def balance(account_id: int) -> int:
    return ledger_selectors.account_balance(account_id=account_id)


@pytest.mark.django_db(transaction=True)
def test_earn_pay_refund_settle_export(settings, django_capture_on_commit_callbacks):
    settings.SETTLEMENT_FEE_PERMILLE = 20  # 2 %
    manager = make_user("manager@example.org", Role.TASK_MANAGER)
    finance = make_user("finance@example.org", Role.FINANCE)
    approver = make_user("approver@example.org", Role.APPROVER)

    # Earn: a campaign funded by one person's request and another's approval pays a resident.
    campaign = campaigns.campaign_create(
        actor=manager, name="Schoon Heerlen", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )
    mint = campaigns.mint_request(
        actor=finance, campaign_id=campaign.pk, amount=50_000, reason="Winter budget"
    )
    campaigns.mint_approve(actor=approver, request_id=mint.pk)
    anna = resident("anna@example.org")
    wallet = anna.resident.wallet
    ledger_services.transfer_post(
        kind="payout",
        legs=ledger_services.legs_between(
            source_id=campaign.budget_id, destination_id=wallet.pk, amount=2_000
        ),
        idempotency_scope="rewards",
        idempotency_key="payout:end-to-end",
        metadata={"campaign": campaign.pk},
    )
    assert balance(wallet.pk) == 2_000

    # A shop, approved by staff, with a cashier.
    owner = make_user("owner@example.org", Role.RESIDENT)
    shop = shop_services.shop_apply(
        owner=owner,
        name="Bakkerij Kerkrade",
        address="Saroleastraat 1, 6411 Heerlen",
        category="bakery",
        iban="NL91 ABNA 0417 1643 00",
    )
    shop = shop_services.shop_approve(staff=approver, shop_id=shop.pk)
    cashier = make_user("cashier@example.org", Role.RESIDENT)
    ShopMember.objects.create(shop=shop, user=cashier, role=ShopRole.CASHIER)

    # Pay with the resident's code, then refund part of it.
    code = pay.pay_token_issue(user=anna)
    payment = pay.charge_with_token(
        cashier=cashier, shop_id=shop.pk, amount=1_500, code=code.payload
    )
    pay.refund(actor=cashier, shop_id=shop.pk, payment_id=payment.pk, amount=400, reason="Stale")
    payment.refresh_from_db()
    assert payment.refunded == 400
    assert balance(wallet.pk) == 2_000 - 1_500 + 400

    # A paper voucher from the same campaign (asked for by the manager, approved by the
    # approver, printed by the manager) is redeemed at the till.
    issued = vouchers_issued(manager, approver, campaign, name="Ouderen", value=300, count=2)
    vouchers.voucher_redeem(cashier=cashier, shop_id=shop.pk, code=issued.vouchers[0].qr_payload)
    assert balance(shop.account_id) == 1_500 - 400 + 300

    # Settle everything the shop holds: the owner asks, an approver approves.
    owner_api = APIClient()
    owner_api.force_login(owner)
    asked = owner_api.post(f"/api/v1/shops/{shop.pk}/settlements/", {"amount": 1_400})
    assert asked.status_code == 201, asked.json()
    settlement_id = asked.json()["id"]
    assert asked.json()["fee"] == 28
    approver_api = APIClient()
    staff_login(approver_api, approver)
    with django_capture_on_commit_callbacks(execute=True):
        done = approver_api.post(f"/api/v1/staff/settlements/{settlement_id}/approve/")
    assert done.status_code == 200, done.json()
    assert balance(shop.account_id) == 0
    settlement_account = Account.objects.get(kind=AccountKind.SETTLEMENT)
    assert balance(settlement_account.pk) == 1_400

    # Finance exports the bank file: valid, and it pays the settled amount minus the fee.
    finance_api = APIClient()
    staff_login(finance_api, finance)
    export = finance_api.post("/api/v1/staff/sepa-exports/")
    assert export.status_code == 201, export.json()
    assert (export.json()["total_cents"], export.json()["count"]) == (1_400 - 28, 1)
    xml = finance_api.get(f"/api/v1/staff/sepa-exports/{export.json()['id']}/pain.001.xml")
    assert xml.status_code == 200
    xmlschema.XMLSchema(XSD).validate(xml.content.decode())
    root = ET.fromstring(xml.content)
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "13.72"
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "1"
    assert root.findtext(".//p:CdtTrfTxInf/p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == (
        "NL91ABNA0417164300"
    )
    assert root.findtext(".//p:CdtTrfTxInf/p:RmtInf/p:Ustrd", namespaces=NS) == (
        f"Heitje settlement {settlement_id} - Bakkerij Kerkrade"  # in the owner's language
    )

    with django_capture_on_commit_callbacks(execute=True):
        paid = finance_api.post(f"/api/v1/staff/sepa-exports/{export.json()['id']}/paid/")
    assert paid.status_code == 200
    assert Settlement.objects.get(pk=settlement_id).status == "paid"
    assert [m.to for m in mail.outbox if "Settlement" in m.subject] == [[owner.email]] * 2

    # The one voucher left returns to the budget when the batch expires.
    vouchers.voucher_batches_expire(now=timezone.now() + timedelta(days=31))
    assert balance(campaign.budget_id) == 50_000 - 2_000 - 600 + 300

    report = ledger_verify()
    assert report.ok, report
    assert settlement.settlement_available(shop=shop).amount == 0
