"""A shop's monthly statement (printable page and CSV), read from the ledger: payments
received day by day and the balance; only the shop's own owners see it."""

import csv
import io

from django.utils import timezone

from shops.models import ShopMember, ShopRole
from tests import factories
from tests.helpers import make_user
from tests.impact.conftest import moment


def _url(shop, year, month, csv_=False):
    return f"/shop/{shop.pk}/statements/{year}/{month}/" + ("?format=csv" if csv_ else "")


def test_the_owner_sees_the_month_day_by_day_and_as_csv(client, town):
    today = timezone.localdate()
    owner = factories.UserFactory.create(preferred_language="nl")
    shop = town.shop(None, owner=owner)
    anna = town.resident(None, funded=5_000)
    town.pay(anna, shop, 250, moment(today.year, today.month))
    town.pay(anna, shop, 400, moment(today.year, today.month))
    client.force_login(owner)
    till = client.get(f"/shop/{shop.pk}/till/statement/").content.decode()
    assert _url(shop, today.year, today.month) in till

    page = client.get(_url(shop, today.year, today.month))
    assert page.status_code == 200
    assert "Saldo aan het eind van de maand: 6,50\xa0Heitje" in page.content.decode()
    total = page.content.decode().split('id="shop-statement-total"')[1].split("</tr>")[0]
    assert ">2<" in total  # two payments
    assert total.count("6,50\xa0Heitje") == 2  # received, and the balance at the month's end

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(_url(shop, today.year, today.month, True)).content.decode())
        )
    )
    assert [(r["day"], r["payments"], r["received"], r["balance"]) for r in rows] == [
        (today.isoformat(), "2", "6.50", "6.50")
    ]
    earlier = client.get(_url(shop, 2021, 3, True)).content.decode()
    assert earlier.splitlines()[1:] == []  # nothing moved then
    assert client.get(_url(shop, today.year + 1, 1)).status_code == 404
    assert client.get(_url(shop, today.year, 13)).status_code == 404


def test_nobody_else_sees_a_shops_statement(client, town):
    today = timezone.localdate()
    shop = town.shop(None, owner=factories.UserFactory.create())
    other_owner = factories.UserFactory.create()
    town.shop(None, name="Slager", owner=other_owner)
    cashier = factories.UserFactory.create()
    ShopMember.objects.create(shop=shop, user=cashier, role=ShopRole.CASHIER)
    url = _url(shop, today.year, today.month)
    expected = {
        other_owner: 404,
        town.resident(None): 404,
        make_user("finance@example.org", "finance"): 404,
        cashier: 403,
    }
    for person, status in expected.items():
        client.force_login(person)
        assert client.get(url).status_code == status
        assert client.get(url + "?format=csv").status_code == status
    client.logout()
    assert client.get(url).status_code == 302
