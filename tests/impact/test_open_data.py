"""The open data: its aggregates are the ledger's own figures, no withheld value can be solved
for from what is published, and a resident only ever sees their own statement."""

import csv
import io
from collections import defaultdict
from datetime import date
from fractions import Fraction

import pytest
from django.db.models import Sum

from impact import figures
from ledger.models import Entry, TransferKind
from payments import services as payments
from payments.models import Refund
from tests import factories
from tests.impact.conftest import moment


@pytest.fixture
def september(town):
    """A month with big and small groups: some cells have fewer than five residents."""
    places = {name: town.neighbourhood(name) for name in ("Noord", "Zuid", "Oost")}
    plan = [  # (neighbourhood, category, residents)
        ("Noord", "painting", 6),
        ("Noord", "greenery", 2),
        ("Noord", "litter", 5),
        ("Zuid", "painting", 5),
        ("Zuid", "greenery", 1),
        ("Oost", "events", 7),
        ("Oost", "litter", 5),
    ]
    for where, category, count in plan:
        task = town.task(places[where], category=category, reward=300 + 10 * count)
        for _ in range(count):
            town.paid(task, town.resident(places[where]), moment(2026, 9))
    return places


def published(client) -> dict[str, list[dict]]:
    """The JSON download, rows grouped by month."""
    body = client.get("/open-data/work.json").json()
    assert body["licence"] == "CC-BY-4.0"
    by_month = defaultdict(list)
    for row in body["rows"]:
        by_month[row["month"]].append(row)
    return by_month


def _key(row: dict) -> tuple:
    return (row["level"], row["neighbourhood_id"], row["category"])


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [r[:] for r in matrix]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                f = rows[i][col] / rows[rank][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def solvable(rows: list[dict], field: str = "tokens_earned") -> set[tuple]:
    """Solve the published month for its withheld figures, as someone with the file would:
    every neighbourhood is the sum of its cells, every category too, the town the sum of either.
    A withheld value is determined exactly when dropping its column lowers the rank of the
    system in the withheld unknowns."""
    hidden = [_key(r) for r in rows if r["withheld"]]
    if not hidden:
        return set()
    cells = [_key(r) for r in rows if r["level"] == "cell"]
    town = ("town", None, None)
    sums = [
        (("neighbourhood", n, None), [c for c in cells if c[1] == n]) for n in {c[1] for c in cells}
    ]
    sums += [
        (("category", None, k), [c for c in cells if c[2] == k]) for k in {c[2] for c in cells}
    ]
    sums += [(town, [s[0] for s in sums if s[0][0] == "neighbourhood"])]
    sums += [(town, [s[0] for s in sums if s[0][0] == "category"])]
    column = {key: i for i, key in enumerate(hidden)}
    matrix = []
    for total, parts in sums:
        line = [Fraction(0)] * len(hidden)
        for key, sign in [(total, -1), *((p, 1) for p in parts)]:
            if key in column:
                line[column[key]] += sign
        if any(line):
            matrix.append(line)
    if not matrix:
        return set()
    full = _rank(matrix)
    return {
        key
        for key, i in column.items()
        if _rank([line[:i] + line[i + 1 :] for line in matrix]) < full
    }


def test_no_withheld_value_can_be_solved_for(client, september):
    month = published(client)["2026-09"]
    withheld = [_key(r) for r in month if r["withheld"]]
    small = {
        ("cell", september["Noord"].pk, "greenery"),
        ("cell", september["Zuid"].pk, "greenery"),
    }
    assert small <= set(withheld)
    assert len(withheld) > len(small)  # complementary cells withheld too
    assert solvable(month) == set()

    # The check has teeth: publish one complementary figure again and something gives way.
    raw = figures.work_raw([date(2026, 9, 1)])[date(2026, 9, 1)]
    exposed = []
    for row in month:
        if row["withheld"] and _key(row) not in small:
            shown = [dict(r, withheld=False) if r is row else r for r in month]
            exposed.append(solvable(shown))
    assert any(exposed)
    assert raw  # the raw figures exist behind what was withheld


def test_aggregates_equal_the_ledgers_own_figures(client, september, town):
    owner = factories.UserFactory.create()
    shop = town.shop(september["Noord"], owner=owner)
    payers = [town.resident(september["Noord"], funded=1_000) for _ in range(5)]
    for person in payers:
        paid = town.pay(person, shop, 400, moment(2026, 10))
    given = payments.refund(actor=owner, shop_id=shop.pk, payment_id=paid.pk, amount=150)
    Refund.objects.filter(pk=given.pk).update(created_at=moment(2026, 10, 20))

    town_rows = [r for rows in published(client).values() for r in rows if r["level"] == "town"]
    assert all(not r["withheld"] for r in town_rows)
    payouts = Entry.objects.filter(transfer__kind=TransferKind.PAYOUT, amount__gt=0)
    earned = payouts.aggregate(total=Sum("amount"))["total"]
    assert sum(int(r["tokens_earned"].replace(".", "")) for r in town_rows) == earned
    assert sum(r["tasks_completed"] for r in town_rows) == payouts.count()

    spent_in_ledger = Entry.objects.filter(
        account__kind="shop", transfer__kind__in=[TransferKind.PAYMENT, TransferKind.REFUND]
    ).aggregate(total=Sum("amount"))["total"]
    october = figures.spending_published([date(2026, 10, 1)])[date(2026, 10, 1)]
    assert october[figures.TOWN].spent == spent_in_ledger == 5 * 400 - 150

    csv_rows = list(csv.DictReader(io.StringIO(client.get("/open-data/work.csv").content.decode())))
    assert [r["tokens_earned"] for r in csv_rows if r["level"] == "town"] == [
        r["tokens_earned"] for r in town_rows
    ]


def test_a_resident_only_ever_sees_their_own_statement(client, db):
    anna = factories.ResidentFactory.create(funded=1_111)
    bert = factories.ResidentFactory.create(funded=2_222)
    client.force_login(anna)
    lines = client.get("/api/v1/wallet/statement/").json()["lines"]
    assert [line["amount"] for line in lines] == [1_111]
    bert_transfer = Entry.objects.get(account_id=bert.resident.wallet_id).transfer_id
    assert client.get(f"/transparency/proofs/{bert_transfer}.json").status_code == 404
    page = client.get("/transparency/").content.decode()
    assert f"/transparency/proofs/{bert_transfer}.json" not in page
    assert "22.22" not in client.get("/wallet/").content.decode()


def test_a_proof_of_an_impossible_transfer_is_not_found(client, db):
    client.force_login(factories.ResidentFactory.create())
    assert client.get("/transparency/proofs/99999999999999999999.json").status_code == 404
