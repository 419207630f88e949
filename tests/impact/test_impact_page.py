"""The public impact page: charts with the same figures in a table beside them, per
neighbourhood, in the visitor's language."""

import pytest
from django.utils import timezone

from tests.impact.conftest import moment


@pytest.fixture
def busy_north(town):
    """Five residents of Noord painted a bench this month and spent at a shop in Noord."""
    north = town.neighbourhood("Noord")
    task = town.task(north, reward=1_000, estimated_minutes=120)
    shop = town.shop(north)
    today = timezone.localdate()
    now = moment(today.year, today.month, 1)
    for _ in range(5):
        person = town.resident(north, funded=5_000)
        town.paid(task, person, now)
        town.pay(person, shop, 250, now)
    return north


def test_the_town_sees_this_months_work_in_charts_and_tables(client, busy_north):
    response = client.get("/impact/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    for chart in ("work", "tokens", "share", "people"):
        assert f'data-testid="chart-{chart}"' in page
    table = page[page.index('id="table-tokens"') :]
    last_row = table[: table.index("</tbody>")].rsplit("<tr>", 1)[1]
    assert "50.00\xa0Heitje" in last_row  # earned: 5 x 10.00
    assert "12.50\xa0Heitje" in last_row  # spent: 5 x 2.50


def test_one_neighbourhood_in_dutch(client, busy_north, town):
    quiet = town.neighbourhood("Zuid")
    response = client.get(f"/impact/?neighbourhood={busy_north.pk}", HTTP_ACCEPT_LANGUAGE="nl")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Wat ons werk opleverde" in page
    share = page[page.index('id="table-share"') :]
    assert "100%" in share[: share.index("</tbody>")]
    response = client.get(f"/impact/?neighbourhood={quiet.pk}", HTTP_ACCEPT_LANGUAGE="nl")
    assert "100%" not in response.content.decode().split('id="table-share"')[1]


def test_an_unknown_neighbourhood_is_said_in_words(client, busy_north):
    response = client.get("/impact/?neighbourhood=banana", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert "Dieses Viertel kennen wir nicht" in response.content.decode()


def test_a_single_residents_work_is_withheld(client, town):
    north = town.neighbourhood("Noord")
    today = timezone.localdate()
    when = moment(today.year, today.month, 1)
    town.paid(town.task(north, reward=4_321), town.resident(north), when)
    page = client.get("/impact/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "43.21" not in page
    assert "* withheld" in page


def test_an_id_too_big_for_the_database_is_said_in_words(client, db):
    response = client.get("/impact/?neighbourhood=99999999999999999999", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "We do not know that neighbourhood" in response.content.decode()
    assert client.get("/transparency/?before=99999999999999999999").status_code == 200
