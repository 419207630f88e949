"""Cross-check of claim payouts against the ledger, run by `manage.py ledger_verify`
(registered in RewardsConfig.ready())."""

from collections.abc import Iterator

from ledger.verify import transfers_mismatching

# A payout moves the claim's amount from its campaign's budget to the resident's wallet.
_PAYOUTS = """
SELECT c.id, c.amount, cp.budget_id, rp.wallet_id, c.payout_transfer_id
  FROM rewards_claim c
  JOIN rewards_task t ON t.id = c.task_id
  JOIN rewards_campaign cp ON cp.id = t.campaign_id
  LEFT JOIN accounts_residentprofile rp ON rp.user_id = c.resident_id
 WHERE c.payout_transfer_id IS NOT NULL
"""


def rewards_verify() -> Iterator[str]:
    """Every paid claim's payout transfer moved exactly the claim's amount from its campaign's
    budget to the resident's wallet."""
    for mismatch in transfers_mismatching(expected_sql=_PAYOUTS):
        yield mismatch.describe("claim")
