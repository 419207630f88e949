"""The staff home counts what waits for the signed-in person's roles, each count a link to its
queue; the badge beside "Staff" adds them up. Nobody sees the counts of queues their roles do
not open."""

import re

from accounts.models import Role
from payments.models import Settlement
from rewards.models import ClaimStatus, MintRequest
from shops import services as shop_services
from tests.factories import ClaimFactory, ResidentFactory, ShopFactory, TaskFactory, UserFactory


def _count(html: str, key: str) -> int | None:
    found = re.search(rf'id="waiting-{key}"><span class="waiting__count">(\d+)</span>', html)
    return int(found.group(1)) if found else None


def test_reviewer_home_counts_claims_and_links_to_the_queue(client, staff_login):
    reviewer = UserFactory.create(roles=[Role.REVIEWER])
    task = TaskFactory.create()
    for _ in range(3):
        ClaimFactory.create(task=task)
    ClaimFactory.create(task=task, status=ClaimStatus.APPROVED, hold_reason="held")
    staff_login(client, reviewer)
    html = client.get("/staff/").content.decode()
    assert _count(html, "claims-review") == 3
    assert 'href="/staff/rewards/review/?stage=review" id="waiting-claims-review"' in html
    # Held claims and mints are not the reviewer's work.
    assert _count(html, "claims-held") is None
    assert _count(html, "mint-requests") is None
    assert re.search(r'id="staff-badge"[^>]*>3<', html)


def test_approver_sees_second_approvals_mints_settlements_shops(client, staff_login):
    approver = UserFactory.create(roles=[Role.APPROVER])
    finance = UserFactory.create(roles=[Role.FINANCE])
    task = TaskFactory.create()
    ClaimFactory.create(task=task, reviewed_by=UserFactory.create(roles=[Role.REVIEWER]))
    MintRequest.objects.create(campaign=task.campaign, amount=10_000, requested_by=finance)
    shop = ShopFactory.create(funded=5_000)
    Settlement.objects.create(shop=shop, amount=1_000, iban=shop.iban, requested_by=finance)
    shop_services.shop_apply(
        owner=ResidentFactory.create(),
        name="Fietsen Frans",
        address="Markt 2, Heerlen",
        category="bakery",
        iban="NL91ABNA0417164300",
    )
    staff_login(client, approver)
    html = client.get("/staff/").content.decode()
    assert _count(html, "claims-second-approval") == 1
    assert _count(html, "mint-requests") == 1
    assert _count(html, "settlements") == 1
    assert _count(html, "shops") == 1
    assert _count(html, "claims-review") is None
    assert 'href="/staff/shops/?status=pending"' in html


def test_finance_sees_files_to_mark_paid_and_held_claims(client, staff_login):
    finance = UserFactory.create(roles=[Role.FINANCE])
    staff_login(client, finance)
    html = client.get("/staff/").content.decode()
    assert _count(html, "sepa-files") == 0
    assert _count(html, "claims-held") == 0
    assert 'id="staff-badge"' not in html
