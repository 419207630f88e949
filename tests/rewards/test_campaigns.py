"""Campaigns and budgets: creation with a budget account, two-person mints, budget figures,
closing (the unspent budget goes back to the issuer), and refusals that change nothing."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent, Neighbourhood
from ledger import selectors as ledger_selectors
from ledger.models import Account, Transfer
from rewards import campaigns, claims, selectors
from rewards.errors import CampaignBusy, CampaignRefused, MintRefused, NotAllowed
from rewards.models import Campaign, ClaimStatus, MintRequest, MintStatus, TaskStatus
from tests.helpers import make_user
from tests.rewards.core_helpers import funded_campaign

pytest_plugins = ["tests.rewards.core_fixtures"]


def test_a_campaign_opens_an_empty_budget_account_and_is_audited(manager):
    north = Neighbourhood.objects.get_or_create(name="Heerlerheide")[0]
    made = campaigns.campaign_create(
        actor=manager,
        name=" Groen Noord ",
        description="Planten",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 9, 30),
        neighbourhood_ids=[north.pk],
    )
    assert made.name == "Groen Noord"
    assert made.budget.kind == "budget"
    assert made.budget.balance == 0
    assert list(made.neighbourhoods.all()) == [north]
    assert AuditEvent.objects.filter(action="campaign.create", target_id=str(made.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"ends_on": date(2026, 2, 1)}, "ends_on"),
        ({"neighbourhood_ids": [999999]}, "neighbourhoods"),
    ],
)
def test_bad_campaigns_are_refused_and_nothing_is_made(manager, changes, field):
    fields = {"name": "Groen", "starts_on": date(2026, 3, 1), "ends_on": date(2026, 9, 30)}
    fields.update(changes)
    accounts_before = Account.objects.count()
    with pytest.raises(CampaignRefused) as refused:
        campaigns.campaign_create(actor=manager, **fields)
    assert refused.value.field == field
    assert Campaign.objects.count() == 0
    assert Account.objects.count() == accounts_before


def test_only_task_managers_and_admins_make_campaigns(finance, approver):
    for user in (finance, approver, make_user("r@example.org", "resident")):
        with pytest.raises(NotAllowed):
            campaigns.campaign_create(
                actor=user, name="X", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1)
            )
    admin = make_user("admin@example.org", "admin")
    campaigns.campaign_create(
        actor=admin, name="X", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1)
    )
    assert Campaign.objects.count() == 1


def test_a_mint_needs_two_people_and_lands_in_the_budget_once(manager, finance, approver):
    made = funded_campaign(manager, finance, approver, amount=0)
    request = campaigns.mint_request(
        actor=finance, campaign_id=made.pk, amount=25_000, reason="Budget 2026"
    )
    assert ledger_selectors.account_balance(account_id=made.budget_id) == 0
    approved = campaigns.mint_approve(actor=approver, request_id=request.pk)
    assert approved.status == MintStatus.APPROVED
    assert approved.decided_by == approver
    assert ledger_selectors.account_balance(account_id=made.budget_id) == 25_000
    transfer = Transfer.objects.get(pk=approved.transfer_id)
    assert (transfer.kind, transfer.idempotency_key) == ("mint", f"mint:{request.pk}")
    with pytest.raises(MintRefused):
        campaigns.mint_approve(actor=approver, request_id=request.pk)
    assert ledger_selectors.account_balance(account_id=made.budget_id) == 25_000
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"mint.request", "mint.approve"} <= actions


def test_the_requester_cannot_approve_their_own_mint_even_as_admin(manager, approver):
    both = make_user("both@example.org", "finance", "approver")
    made = funded_campaign(manager, both, approver, amount=0)
    request = campaigns.mint_request(actor=both, campaign_id=made.pk, amount=1000, reason="x")
    with pytest.raises(NotAllowed):
        campaigns.mint_approve(actor=both, request_id=request.pk)
    with pytest.raises(NotAllowed):
        campaigns.mint_reject(actor=both, request_id=request.pk, reason="no")
    request.refresh_from_db()
    assert request.status == MintStatus.REQUESTED
    assert ledger_selectors.account_balance(account_id=made.budget_id) == 0


def test_the_database_refuses_the_same_person_deciding_a_mint(manager, finance, approver):
    made = funded_campaign(manager, finance, approver, amount=0)
    request = campaigns.mint_request(actor=finance, campaign_id=made.pk, amount=1000, reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        MintRequest.objects.filter(pk=request.pk).update(
            status=MintStatus.REJECTED, decided_by=finance, decided_at=timezone.now()
        )


@pytest.mark.parametrize(
    ("amount", "reason"),
    [(0, "x"), (-5, "x"), (1.5, "x"), (True, "x"), (100, ""), (100, "x" * 501)],
)
def test_bad_mint_requests_are_refused(manager, finance, approver, amount, reason):
    made = funded_campaign(manager, finance, approver, amount=0)
    with pytest.raises(MintRefused):
        campaigns.mint_request(actor=finance, campaign_id=made.pk, amount=amount, reason=reason)
    assert MintRequest.objects.count() == 0


def test_roles_for_mints(manager, finance, approver, campaign):
    with pytest.raises(NotAllowed):
        campaigns.mint_request(actor=manager, campaign_id=campaign.pk, amount=100, reason="x")
    request = campaigns.mint_request(actor=finance, campaign_id=campaign.pk, amount=100, reason="x")
    with pytest.raises(NotAllowed):
        campaigns.mint_approve(actor=manager, request_id=request.pk)
    rejected = campaigns.mint_reject(actor=approver, request_id=request.pk, reason="Too early")
    assert (rejected.status, rejected.decision_reason) == (MintStatus.REJECTED, "Too early")
    assert ledger_selectors.account_balance(account_id=campaign.budget_id) == 100_000


def test_budget_figures_follow_the_claims(manager, campaign, task, anna, bram):
    figures = selectors.campaign_budget(campaign=campaign)
    assert (figures.balance, figures.paid, figures.committed) == (100_000, 0, 0)
    assert figures.open_slots == 10 * 500
    assert figures.available == 100_000 - 5000
    first = claims.claim_reserve(user=anna, task_id=task.pk)
    claims.claim_reserve(user=bram, task_id=task.pk)
    first.status = ClaimStatus.APPROVED
    first.save()
    figures = selectors.campaign_budget(campaign=campaign)
    assert figures.committed == 500
    assert figures.in_progress == 500
    assert figures.open_slots == 8 * 500
    assert figures.remaining == 100_000 - 500
    assert figures.available == 100_000 - 5000


def test_closing_returns_the_unspent_budget_and_closes_tasks(manager, campaign, task, anna):
    reserved = claims.claim_reserve(user=anna, task_id=task.pk)
    issuer_before = Account.objects.get(kind="issuer").balance
    closed = campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    assert closed.status == "closed"
    assert closed.closed_by == manager
    assert ledger_selectors.account_balance(account_id=campaign.budget_id) == 0
    assert Account.objects.get(pk=campaign.budget_id).status == "closed"
    assert Account.objects.get(kind="issuer").balance == issuer_before + 100_000
    burn = Transfer.objects.get(idempotency_key=f"close:{campaign.pk}")
    assert burn.kind == "burn"
    task.refresh_from_db()
    reserved.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert task.slots_taken == 0
    assert reserved.status == ClaimStatus.EXPIRED
    assert AuditEvent.objects.filter(action="campaign.close").count() == 1
    with pytest.raises(CampaignBusy):
        campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    with pytest.raises(CampaignBusy):
        campaigns.mint_request(
            actor=make_user("f2@example.org", "finance"),
            campaign_id=campaign.pk,
            amount=1,
            reason="x",
        )


def test_closing_waits_for_submitted_or_unpaid_claims(manager, campaign, task, anna):
    claim = claims.claim_reserve(user=anna, task_id=task.pk)
    claim.status = ClaimStatus.SUBMITTED
    claim.save()
    with pytest.raises(CampaignBusy, match="1 claim is still"):
        campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    task.refresh_from_db()
    assert campaign.status == "active"
    assert task.status == TaskStatus.PUBLISHED
    assert ledger_selectors.account_balance(account_id=campaign.budget_id) == 100_000


def test_update_keeps_tasks_inside_the_window(manager, campaign, task):
    updated = campaigns.campaign_update(
        actor=manager, campaign_id=campaign.pk, changes={"name": "Nieuw"}
    )
    assert updated.name == "Nieuw"
    with pytest.raises(CampaignRefused):
        campaigns.campaign_update(
            actor=manager, campaign_id=campaign.pk, changes={"ends_on": date(2021, 1, 1)}
        )
    campaign.refresh_from_db()
    assert campaign.ends_on == date(2099, 12, 31)
