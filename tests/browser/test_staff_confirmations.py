"""Money steps are deliberate, in Chromium at 1366 x 768: approving a settlement, making the
SEPA file and marking it paid each show a confirmation with the amounts and counts first; an
unpaid file can be withdrawn (its settlements wait for the next file); finance sees
"waiting for an approver" where a settlement waits, not an empty column. (The mint's and the
bulk approval's confirmations are in test_rewards_flow and test_staff_review_queue.)"""

import re

from playwright.sync_api import expect

from accounts.models import Role
from payments import settlement
from payments.models import SepaExport, Settlement, SettlementStatus
from tests.browser.conftest import axe_serious
from tests.browser.test_staff_review_queue import LAPTOP, shot, staff_sign_in
from tests.factories import ShopFactory, UserFactory


def test_settlement_sepa_file_paid_and_withdrawn_each_confirmed(new_context, settings):
    settings.SETTLEMENT_IBAN_HOLD_DAYS = 0
    approver = UserFactory.create(roles=[Role.APPROVER], preferred_language="nl")
    finance = UserFactory.create(roles=[Role.FINANCE], preferred_language="nl")
    shop = ShopFactory.create(funded=20_000, name="Bakkerij Bemelmans")
    owner = shop.members.get().user
    first = settlement.settlement_request(owner=owner, shop_id=shop.pk, amount=12_500)

    # Finance sees who the settlement waits for.
    desk = new_context(LAPTOP).new_page()
    staff_sign_in(desk, finance)
    desk.goto("/staff/payments/settlements/")
    expect(desk.locator(f"#waiting-approver-{first.pk}")).to_have_text("wacht op een goedkeurder")

    page = new_context(LAPTOP).new_page()
    staff_sign_in(page, approver)
    page.goto("/staff/payments/settlements/")
    page.locator(f"#approve-{first.pk}").click()
    figures = page.locator("#confirm-figures")
    expect(figures).to_contain_text("125,00 Heitje")
    expect(figures).to_contain_text("NL91ABNA0417164300")
    shot(page, "settlement-confirm-nl")
    assert axe_serious(page) == []
    assert Settlement.objects.get(pk=first.pk).status == SettlementStatus.REQUESTED
    page.locator("#confirm-action").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert Settlement.objects.get(pk=first.pk).status == SettlementStatus.APPROVED

    # Making the file: how many transfers, how many euros.
    desk.goto("/staff/payments/exports/")
    desk.locator("#export-create").click()
    expect(desk.locator("#confirm-figures")).to_contain_text(re.compile(r"€\s125,00"))
    expect(desk.locator("#confirm-action")).to_contain_text("1 overboeking")
    shot(desk, "sepa-confirm-nl")
    assert not SepaExport.objects.exists()
    desk.locator("#confirm-action").click()
    export = SepaExport.objects.get()

    # Withdrawn before the bank paid it: the settlement waits for the next file.
    desk.locator(f"#withdraw-{export.pk}").click()
    expect(desk.locator("#confirm-figures")).to_contain_text(export.message_id)
    desk.locator("#confirm-action").click()
    expect(desk.get_by_role("status")).to_contain_text(export.message_id)
    assert not SepaExport.objects.exists()
    assert Settlement.objects.get(pk=first.pk).status == SettlementStatus.APPROVED

    # Made again and marked paid, after its confirmation.
    desk.goto("/staff/payments/exports/new/")
    desk.locator("#confirm-action").click()
    export = SepaExport.objects.get()
    desk.locator(f"#paid-{export.pk}").click()
    expect(desk.locator("#confirm-figures")).to_contain_text(re.compile(r"€\s125,00"))
    shot(desk, "paid-confirm-nl")
    desk.locator("#confirm-action").click()
    expect(desk.get_by_role("status")).to_be_visible()
    assert Settlement.objects.get(pk=first.pk).status == SettlementStatus.PAID
    expect(desk.locator(f"#withdraw-{export.pk}")).to_have_count(0)
