"""A resident's yearly statement for a benefits office: their own earnings per month, the
running total and the annual cap, as a printable page and CSV; nobody else's."""

import csv
import io

from django.conf import settings
from django.utils import timezone

from accounts.models import User
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
