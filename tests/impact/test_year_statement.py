"""A resident's yearly statement for a benefits office: their own earnings per month, the
running total and the annual cap, as a printable page and CSV; nobody else's."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, ResidentProfile, User
from rewards.models import EarningRules
from tests.helpers import make_user
from tests.impact.conftest import moment


def test_my_year_month_by_month_with_the_cap(client, town):
    north = town.neighbourhood("Noord")
    me, other = town.resident(north), town.resident(north)
    task = town.task(north, reward=750, estimated_minutes=90)
    now = timezone.localdate()
    town.paid(task, me, moment(now.year, now.month))
    town.paid(task, me, moment(now.year, now.month))
    town.paid(town.task(north, reward=999), other, moment(now.year, now.month))
    client.force_login(me)

    achieved = client.get("/wallet/achieved/").content.decode()
    assert f"/wallet/achieved/{now.year}/" in achieved

    page = client.get(f"/wallet/achieved/{now.year}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    total = page.content.decode().split('id="statement-total"')[1].split("</tr>")[0]
    assert "15.00\xa0Heitje" in total
    cap = f"{settings.REWARDS_ANNUAL_CAP // 100:,}.00\xa0Heitje"
    assert cap in page.content.decode()
    assert "9.99" not in page.content.decode()

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/wallet/achieved/{now.year}/?format=csv").content.decode())
        )
    )
    assert len(rows) == 12
    this_month = rows[now.month - 1]
    assert (this_month["tasks"], this_month["estimated_hours"], this_month["earned"]) == (
        "2",
        "3.0",
        "15.00",
    )
    assert rows[-1]["earned_this_year"] == "15.00"


def test_a_year_without_a_statement_is_said_in_words(client, town):
    me = town.resident(None)
    User.objects.filter(pk=me.pk).update(preferred_language="nl")
    client.force_login(me)
    response = client.get("/wallet/achieved/1999/")
    assert response.status_code == 404
    assert "Voor dat jaar is er geen overzicht." in response.content.decode()


def test_the_statement_shows_the_years_rules_that_applied(client, town):
    now = timezone.localdate()
    EarningRules.objects.create(
        year=now.year,
        hourly_cap=500,
        youth_hourly_cap=275,
        youth_under_age=21,
        monthly_cap=19_000,
        annual_cap=190_000,
    )
    me = town.resident(None)
    ResidentProfile.objects.filter(user=me).update(birth_year=now.year - 18)
    town.paid(town.task(None, reward=250), me, moment(now.year, now.month))
    client.force_login(me)
    page = client.get(f"/wallet/achieved/{now.year}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rules = page.split('id="statement-cap">')[1].split("</p>")[0]
    assert "1,900.00\xa0Heitje" in rules
    assert "The monthly maximum: 190.00\xa0Heitje." in rules
    assert "At most 2.75\xa0Heitje per estimated hour of a task (the youth rate under 21)" in rules

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/wallet/achieved/{now.year}/?format=csv").content.decode())
        )
    )
    line = rows[now.month - 1]
    assert (line["earned"], line["monthly_cap"], line["annual_cap"], line["hourly_rate"]) == (
        "2.50",
        "190.00",
        "1900.00",
        "2.75",
    )


def test_only_residents_have_a_statement_and_only_their_own(client, town):
    now = timezone.localdate()
    me, other = town.resident(None), town.resident(None)
    town.paid(town.task(None, reward=250), other, moment(now.year, now.month))
    client.force_login(me)
    mine = client.get(f"/wallet/achieved/{now.year}/?format=csv").content.decode()
    assert "2.50" not in mine  # the other resident's payout is not on my statement
    owner = town.shop(None).members.first().user
    for person in (owner, make_user("finance@example.org", "finance")):
        client.force_login(person)
        assert client.get(f"/wallet/achieved/{now.year}/").status_code == 403
        assert client.get(f"/wallet/achieved/{now.year}/?format=csv").status_code == 403


def _rules(monthly: int) -> dict[str, int]:
    return {
        "hourly_cap": 500,
        "youth_hourly_cap": 275,
        "youth_under_age": 21,
        "monthly_cap": monthly,
        "annual_cap": 180_000,
    }


def test_each_month_shows_the_monthly_maximum_it_was_paid_under(client, town):
    """Rules changed in February and in June of last year: the statement and its CSV show, per
    month, the maximum in force then; a later change does not rewrite the months before it."""
    year = timezone.localdate().year - 1
    zone = ZoneInfo(settings.TIME_ZONE)
    EarningRules.objects.create(year=year, **_rules(20_000))
    for when, before, after in (
        (datetime(year, 2, 10, 12, tzinfo=zone), None, _rules(18_000)),
        (datetime(year, 6, 15, 12, tzinfo=zone), _rules(18_000), _rules(20_000)),
    ):
        event = AuditEvent.objects.create(
            action="earning_rules.set",
            target_type="rewards.earningrules",
            detail={"year": year, "before": before, "after": after},
        )
        AuditEvent.objects.filter(pk=event.pk).update(created_at=when)
    me = town.resident(town.neighbourhood("Noord"))
    client.force_login(me)

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/wallet/achieved/{year}/?format=csv").content.decode())
        )
    )
    monthly = [row["monthly_cap"] for row in rows]
    fallback = settings.REWARDS_MONTHLY_CAP
    january = f"{fallback // 100}.{fallback % 100:02d}" if fallback else ""
    assert monthly == [january] + ["180.00"] * 4 + ["200.00"] * 7

    page = client.get(f"/wallet/achieved/{year}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    body = page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    assert "180.00\xa0Heitje" in body[1]
    assert "180.00\xa0Heitje" in body[4]
    assert "200.00\xa0Heitje" in body[5]
    assert "200.00\xa0Heitje" in body[11]
    assert "180.00" not in body[5]
