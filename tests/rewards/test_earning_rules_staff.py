"""The earning rules in the staff console and the staff API, as each role: finance and
administrators read and set a year's rules (audited); other staff, residents and shop members
are refused; a refused value is said on the field, nothing changes."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from rewards import earning
from rewards.models import EarningRules
from tests import factories
from tests.helpers import make_user, staff_login

YEAR = timezone.localdate().year
FORM = {
    "hourly_cap": "5.00",
    "youth_hourly_cap": "2.75",
    "youth_under_age": "21",
    "monthly_cap": "190",
    "annual_cap": "1900",
}
BODY = {
    "hourly_cap": 500,
    "youth_hourly_cap": 275,
    "youth_under_age": 21,
    "monthly_cap": 19_000,
    "annual_cap": 190_000,
}


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admins_set_a_years_rules_on_the_page(client, db, role):
    staff_login(client, make_user(f"{role}@example.org", role))
    page = client.get("/staff/rewards/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page.split(f'id="rules-{YEAR}"')[1].split("</tr>")[0]
    assert "Settings (default)" in row
    assert "/staff/rewards/" in client.get("/staff/").content.decode()

    response = client.post(f"/staff/rewards/rules/{YEAR}/", FORM, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    rules = earning.rules_now()
    assert (rules.configured, rules.monthly_cap, rules.annual_cap) == (True, 19_000, 190_000)
    event = AuditEvent.objects.get(action="earning_rules.set")
    assert event.actor.email == f"{role}@example.org"
    assert event.detail["after"]["youth_hourly_cap"] == 275

    page = client.get("/staff/rewards/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page.split(f'id="rules-{YEAR}"')[1].split("</tr>")[0]
    assert "190.00\xa0Heitje" in row
    assert "Set by staff" in row


def test_a_refused_value_is_said_on_the_page_in_dutch(client, db):
    staff_login(client, make_user("finance@example.org", "finance", preferred_language="nl"))
    response = client.post(f"/staff/rewards/rules/{YEAR}/", FORM | {"monthly_cap": "5000"})
    assert response.status_code == 422
    assert "Het maandmaximum kan niet hoger zijn dan het jaarmaximum." in response.content.decode()
    assert not EarningRules.objects.exists()
    assert client.get(f"/staff/rewards/rules/{YEAR - 1}/").status_code == 404


@pytest.mark.parametrize("role", ["reviewer", "approver", "task_manager"])
def test_other_staff_may_not_see_or_set_the_rules(client, db, role):
    staff_login(client, make_user(f"{role}@example.org", role))
    assert client.get("/staff/rewards/rules/").status_code == 403
    assert client.post(f"/staff/rewards/rules/{YEAR}/", FORM).status_code == 403
    api = APIClient()
    staff_login(api, make_user(f"api-{role}@example.org", role))
    assert api.put(f"/api/v1/staff/earning-rules/{YEAR}/", BODY, format="json").status_code == 403
    assert not EarningRules.objects.exists()


def test_residents_and_shop_members_are_refused(client, db):
    resident = factories.ResidentFactory.create()
    owner = factories.ShopFactory.create().members.first().user
    for person in (resident, owner):
        client.force_login(person)
        assert client.get("/staff/rewards/rules/").status_code == 403
        api = APIClient()
        api.force_authenticate(person)
        assert api.get(f"/api/v1/staff/earning-rules/{YEAR}/").status_code == 403
    assert not EarningRules.objects.exists()


def test_the_api_reads_and_sets_a_years_rules(db, settings):
    settings.REWARDS_ANNUAL_CAP = 150_000
    api = APIClient()
    staff_login(api, make_user("finance@example.org", "finance"))
    body = api.get(f"/api/v1/staff/earning-rules/{YEAR}/").json()
    assert (body["configured"], body["annual_cap"]) == (False, 150_000)

    response = api.put(f"/api/v1/staff/earning-rules/{YEAR + 1}/", BODY, format="json")
    assert response.status_code == 200
    assert response.json() | {} == BODY | {"year": YEAR + 1, "configured": True}
    assert AuditEvent.objects.filter(action="earning_rules.set").count() == 1

    refused = api.put(
        f"/api/v1/staff/earning-rules/{YEAR}/",
        BODY | {"youth_hourly_cap": 600},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    past = api.put(f"/api/v1/staff/earning-rules/{YEAR - 1}/", BODY, format="json")
    assert past.status_code == 422
    assert api.get("/api/v1/staff/earning-rules/1999/").status_code == 404
    assert EarningRules.objects.count() == 1
