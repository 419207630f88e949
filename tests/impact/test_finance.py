"""The staff finance page: budget burn, payouts and payments per week, the euros owed,
settlements due; and the funders' report as a printable page and CSV."""

import csv
import io

import pytest
from django.utils import timezone

from accounts.models import Role, User
from payments.models import Settlement
from tests import factories, helpers
from tests.impact.conftest import moment


@pytest.fixture
def finance_person(client, db):
    person = helpers.make_user("frank@example.org", Role.FINANCE)
    helpers.staff_login(client, person)
    return person


@pytest.fixture
def busy_campaign(town):
    """This week: three claims paid (two painting, one greenery), one payment at a shop, one
    settlement requested."""
    north = town.neighbourhood("Noord")
    today = timezone.localdate()
    painting, greenery = town.task(north, reward=500), town.task(north, "greenery", reward=700)
    anna, bert = town.resident(north), town.resident(north)
    town.paid(painting, anna, moment(today.year, today.month, today.day))
    town.paid(painting, bert, moment(today.year, today.month, today.day))
    town.paid(greenery, anna, moment(today.year, today.month, today.day))
    owner = factories.UserFactory.create()
    shop = town.shop(north, owner=owner)
    town.pay(anna, shop, 300, timezone.now())
    Settlement.objects.create(shop=shop, amount=200, fee=10, iban=shop.iban, requested_by=owner)
    return town.campaign


def test_finance_page_shows_what_finance_needs(client, finance_person, busy_campaign):
    response = client.get("/staff/finance/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    # Budget 100,000.00 minted into the campaign; 17.00 paid out so far.
    burn = page[page.index('id="table-burn"') :]
    assert "17.00\xa0Heitje" in burn[: burn.index("</table>")]
    # Owed: the wallets (17.00 - 3.00) and the shop (3.00).
    assert 'data-testid="owed">17.00\xa0Heitje<' in page
    this_week = page[page.index('id="table-weeks"') :].split("</tbody>")[0].rsplit("<tr>", 1)[1]
    assert ">3<" in this_week  # payouts
    assert "17.00\xa0Heitje" in this_week
    assert "3.00\xa0Heitje" in this_week
    requested = page[page.index('data-status="requested"') :].split("</tr>")[0]
    assert "2.00\xa0Heitje" in requested
    assert "€ 1.90" in requested


def test_staff_home_links_it_and_residents_are_refused(client, finance_person, db):
    assert "/staff/finance/" in client.get("/staff/").content.decode()
    client.force_login(factories.ResidentFactory.create())
    assert client.get("/staff/finance/").status_code == 403


def test_funders_report_per_campaign_and_period(client, finance_person, busy_campaign):
    today = timezone.localdate().isoformat()
    query = f"campaign={busy_campaign.pk}&from={today}&to={today}"
    page = client.get(f"/staff/finance/report/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    total = page.content.decode().split('id="report-total"')[1].split("</tr>")[0]
    assert ">3<" in total  # tasks
    assert ">2<" in total  # residents
    assert "17.00\xa0Heitje" in total

    response = client.get(f"/staff/finance/report/?{query}&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["category"], r["tasks_completed"], r["tokens_paid_out"]) for r in rows] == [
        ("greenery", "1", "7.00"),
        ("painting", "2", "10.00"),
        ("total", "3", "17.00"),
    ]

    earlier = f"campaign={busy_campaign.pk}&from=2020-01-01&to=2020-12-31"
    nothing = list(
        csv.DictReader(
            io.StringIO(client.get(f"/staff/finance/report/?{earlier}&format=csv").content.decode())
        )
    )
    assert [(r["category"], r["tasks_completed"]) for r in nothing] == [("total", "0")]


def test_a_wrong_period_is_said_in_words(client, finance_person, busy_campaign):
    User.objects.filter(pk=finance_person.pk).update(preferred_language="de")
    response = client.get(
        f"/staff/finance/report/?campaign={busy_campaign.pk}&from=2026-05-01&to=2026-04-01"
    )
    assert response.status_code == 400
    assert "Das Ende des Zeitraums liegt vor seinem Beginn." in response.content.decode()
