"""A campaign's page says how it is funded: the figures in tokens with the unit, who requests
and who approves a mint, a waiting mint with a button for an approver only."""

from accounts.models import Role
from rewards.models import MintRequest
from tests.factories import CampaignFactory, UserFactory


def test_campaign_page_tells_how_it_is_funded(client, staff_login):
    manager = UserFactory.create(roles=[Role.TASK_MANAGER])
    finance = UserFactory.create(roles=[Role.FINANCE], display_name="Fenna")
    approver = UserFactory.create(roles=[Role.APPROVER])
    campaign = CampaignFactory.create(created_by=manager, funded=50_000)
    mint = MintRequest.objects.create(campaign=campaign, amount=20_000, requested_by=finance)
    url = f"/staff/rewards/campaigns/{campaign.pk}/"

    staff_login(client, approver)
    page = client.get(url).content.decode()
    assert "500.00\xa0Heitje" in page  # the budget, in tokens with the unit
    assert "finance requests it, and an approver" in page
    assert "A mint of 200.00\xa0Heitje asked by Fenna waits for an approver." in page
    assert f'href="/staff/rewards/mints/{mint.pk}/approve/"' in page

    staff_login(client, manager)
    page = client.get(url).content.decode()
    assert f'id="funding-approve-{mint.pk}"' not in page
    assert "ask finance to request a mint" in page
    # The task that does not fit: tests/rewards/test_tasks_rules.py (the words and tokens).
