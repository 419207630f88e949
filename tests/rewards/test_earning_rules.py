"""The volunteer-allowance earning rules of a year (rewards.earning) as the payouts apply them:
the monthly and yearly caps from staff's rules (else the settings), the hourly and youth rates
per estimated hour, and two payouts racing on real threads that cannot pass the monthly cap."""

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEvent, ResidentProfile
from ledger.verify import ledger_verify
from rewards import earning, payouts
from rewards.errors import NotAllowed, RulesRefused
from rewards.models import Claim, ClaimStatus, EarningRules
from rewards.payouts import (
    HOLD_ANNUAL_CAP,
    HOLD_HOURLY_RATE,
    HOLD_MONTHLY_CAP,
    PayoutOutcome,
)
from tests.concurrency import outcomes, run_together
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx


def approved(task, user, reviewer):
    claim = fx.submitted(task, user)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED, reviewed_by=reviewer)
    return Claim.objects.get(pk=claim.pk)


def this_year_rules(**changes):
    values = {
        "hourly_cap": 500,
        "youth_hourly_cap": 275,
        "youth_under_age": 21,
        "monthly_cap": 18_000,
        "annual_cap": 180_000,
    } | changes
    return EarningRules.objects.create(year=timezone.localdate().year, **values)


@pytest.fixture
def world(db):
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)  # 5.00 for 60 estimated minutes
    return task, reviewer, fx.resident("anna@example.org")


def held(claim):
    claim.refresh_from_db()
    return claim.status, claim.hold_reason


def test_the_years_monthly_cap_holds_the_claim_that_would_pass_it(world):
    task, reviewer, anna = world
    this_year_rules(monthly_cap=1_000)
    first, second, third = (approved(task, anna, reviewer) for _ in range(3))
    assert payouts.claims_pay_batch(claim_ids=[first.pk, second.pk, third.pk]) == {
        first.pk: PayoutOutcome.PAID,
        second.pk: PayoutOutcome.PAID,
        third.pk: PayoutOutcome.HELD,
    }
    assert held(third) == (ClaimStatus.APPROVED, HOLD_MONTHLY_CAP)
    assert fx.balance(anna) == 1_000


@override_settings(REWARDS_ANNUAL_CAP=100_000)
def test_the_years_annual_cap_overrides_the_setting(world):
    task, reviewer, anna = world
    this_year_rules(monthly_cap=500, annual_cap=500)
    first, second = approved(task, anna, reviewer), approved(task, anna, reviewer)
    assert payouts.claim_pay(claim_id=first.pk) == PayoutOutcome.PAID
    assert payouts.claim_pay(claim_id=second.pk) == PayoutOutcome.HELD
    assert held(second)[1] == HOLD_MONTHLY_CAP  # the month is checked before the year


@override_settings(REWARDS_ANNUAL_CAP=900, REWARDS_MONTHLY_CAP=0)
def test_without_rules_for_the_year_the_settings_apply(world):
    task, reviewer, anna = world
    EarningRules.objects.create(
        year=timezone.localdate().year + 1,
        hourly_cap=500,
        youth_hourly_cap=275,
        monthly_cap=100,
        annual_cap=100,
    )
    rules = earning.rules_now()
    assert (rules.configured, rules.annual_cap, rules.monthly_cap) == (False, 900, 0)
    first, second = approved(task, anna, reviewer), approved(task, anna, reviewer)
    assert payouts.claim_pay(claim_id=first.pk) == PayoutOutcome.PAID
    assert payouts.claim_pay(claim_id=second.pk) == PayoutOutcome.HELD
    assert held(second)[1] == HOLD_ANNUAL_CAP


def test_the_youth_rate_holds_a_claim_above_it_by_birth_year(world):
    """5.00 for one estimated hour: above the youth rate (2.75) for a resident of 17 this year,
    within the adult rate for one of 21 (the age reached this year counts)."""
    task, reviewer, anna = world
    this_year_rules()
    year = timezone.localdate().year
    ResidentProfile.objects.filter(user=anna).update(birth_year=year - 17)
    young = approved(task, anna, reviewer)
    assert payouts.claim_pay(claim_id=young.pk) == PayoutOutcome.HELD
    assert held(young) == (ClaimStatus.APPROVED, HOLD_HOURLY_RATE)
    assert fx.balance(anna) == 0

    bram = fx.resident("bram@example.org")
    ResidentProfile.objects.filter(user=bram).update(birth_year=year - 21)
    adult = approved(task, bram, reviewer)
    assert payouts.claim_pay(claim_id=adult.pk) == PayoutOutcome.PAID

    unknown = approved(task, fx.resident("cor@example.org"), reviewer)
    assert payouts.claim_pay(claim_id=unknown.pk) == PayoutOutcome.PAID  # no birth year: adult


def test_a_lower_hourly_rate_holds_a_claim_approved_under_the_old_one(world):
    task, reviewer, anna = world
    this_year_rules(hourly_cap=400, youth_hourly_cap=275)
    claim = approved(task, anna, reviewer)
    assert payouts.claim_pay(claim_id=claim.pk) == PayoutOutcome.HELD
    assert held(claim)[1] == HOLD_HOURLY_RATE


@pytest.mark.django_db(transaction=True)
def test_two_payouts_racing_cannot_pass_the_monthly_cap():
    """Two claims of one resident paid at the same moment from two threads, with room in the
    month for one: the resident's profile lock queues them, the second sees the first paid."""
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)
    anna = fx.resident("anna@example.org")
    this_year_rules(monthly_cap=700)
    claims = [approved(task, anna, reviewer) for _ in range(2)]

    def run(i: int) -> PayoutOutcome:
        if i == 0:
            return payouts.claim_pay(claim_id=claims[0].pk)
        return payouts.claims_pay_batch(claim_ids=[claims[1].pk])[claims[1].pk]

    results = run_together(2, run)
    assert outcomes(results) == ["ok", "ok"]
    assert sorted(results) == sorted([PayoutOutcome.PAID, PayoutOutcome.HELD])
    assert fx.balance(anna) == 500
    reasons = set(Claim.objects.values_list("hold_reason", flat=True))
    assert reasons == {"", HOLD_MONTHLY_CAP}
    assert ledger_verify().ok


def test_setting_the_rules_is_checked_and_audited(world):
    year = timezone.localdate().year
    finance = make_user("finance@example.org", "finance")
    values = {
        "hourly_cap": 500,
        "youth_hourly_cap": 275,
        "youth_under_age": 21,
        "monthly_cap": 21_000,
        "annual_cap": 210_000,
    }
    rules = earning.rules_set(actor=finance, year=year, **values)
    assert (rules.configured, rules.monthly_cap) == (True, 21_000)
    earning.rules_set(actor=finance, year=year, **(values | {"monthly_cap": 18_000}))
    events = list(AuditEvent.objects.filter(action="earning_rules.set").order_by("pk"))
    assert [e.detail["before"] for e in events] == [None, values]
    assert events[1].detail["after"]["monthly_cap"] == 18_000
    assert earning.rules_now().monthly_cap == 18_000

    with pytest.raises(RulesRefused):
        earning.rules_set(actor=finance, year=year - 1, **values)
    with pytest.raises(RulesRefused):
        earning.rules_set(actor=finance, year=year, **(values | {"youth_hourly_cap": 600}))
    with pytest.raises(RulesRefused):
        earning.rules_set(actor=finance, year=year, **(values | {"monthly_cap": 300_000}))
    with pytest.raises(NotAllowed):
        earning.rules_set(actor=make_user("r@example.org", "reviewer"), year=year, **values)
    assert AuditEvent.objects.filter(action="earning_rules.set").count() == 2


def test_the_wallet_warns_near_the_monthly_and_the_yearly_cap(client, world):
    """From 80 % of a cap the resident's wallet and "what I achieved" say what is left; a
    neighbour far from the caps sees no warning."""
    task, reviewer, anna = world
    this_year_rules(monthly_cap=1_200, annual_cap=2_000)
    bram = fx.resident("bram@example.org")
    assert payouts.claim_pay(claim_id=approved(task, bram, reviewer).pk) == PayoutOutcome.PAID
    assert payouts.claim_pay(claim_id=approved(task, anna, reviewer).pk) == PayoutOutcome.PAID
    client.force_login(anna)
    page = client.get("/wallet/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "cap-near-month" not in page  # 5.00 of 12.00

    assert payouts.claim_pay(claim_id=approved(task, anna, reviewer).pk) == PayoutOutcome.PAID
    page = client.get("/wallet/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    month = page.split('id="cap-near-month">')[1].split("</p>")[0]
    assert "10.00\xa0Heitje for tasks this month" in month
    assert "12.00\xa0Heitje: 2.00\xa0Heitje is left" in month
    assert "cap-near-year" not in page  # 10.00 of 20.00
    achieved = client.get("/wallet/achieved/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="cap-near-month"' in achieved

    anna.preferred_language = "nl"
    anna.save(update_fields=["preferred_language"])
    dutch = client.get("/wallet/").content.decode()
    assert "dicht bij het maandmaximum" in dutch.split('id="cap-near-month">')[1]

    client.force_login(bram)
    assert "cap-near" not in client.get("/wallet/").content.decode()
