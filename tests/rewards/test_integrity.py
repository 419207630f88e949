"""`manage.py ledger_verify` cross-checks every paid claim against its payout transfer (a check
the rewards app registers with the ledger): a claim whose amount, budget or wallet no longer
matches what the ledger paid is named."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rewards import payouts
from rewards.models import Claim, ClaimStatus
from rewards.payouts import PayoutOutcome
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx


@pytest.fixture
def paid_claim(db, capsys):
    manager = make_user("manager@example.org", "task_manager")
    reviewer = make_user("reviewer@example.org", "reviewer")
    task = fx.task(fx.campaign(manager), manager)
    anna = fx.resident("anna@example.org")
    claim = fx.submitted(task, anna)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED, reviewed_by=reviewer)
    assert payouts.claim_pay(claim_id=claim.pk) == PayoutOutcome.PAID
    call_command("ledger_verify")
    assert "ledger ok" in capsys.readouterr().out
    return Claim.objects.select_related("task__campaign").get(pk=claim.pk), anna


def test_a_claim_whose_amount_was_changed_after_payout_is_named(paid_claim, capsys):
    claim, anna = paid_claim
    with connection.cursor() as cursor:
        cursor.execute("UPDATE rewards_claim SET amount = 5000 WHERE id = %s", [claim.pk])
    with pytest.raises(CommandError, match="ledger BROKEN") as caught:
        call_command("ledger_verify")
    assert caught.value.returncode == 1
    err = capsys.readouterr().err
    budget, wallet = claim.task.campaign.budget_id, anna.resident.wallet_id
    assert (
        f"claim #{claim.pk}: 5000 from account #{budget} to account #{wallet}, but its transfer "
        f"#{claim.payout_transfer_id} moves -500 on #{budget}, 500 on #{wallet}"
    ) in err


def test_a_claim_pointed_at_another_payout_is_named(paid_claim, capsys):
    claim, _ = paid_claim
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rewards_claim SET payout_transfer_id = payout_transfer_id - 1 WHERE id = %s",
            [claim.pk],
        )
    with pytest.raises(CommandError, match="ledger BROKEN"):
        call_command("ledger_verify")
    assert f"claim #{claim.pk}: 500 from account" in capsys.readouterr().err
