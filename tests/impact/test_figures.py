"""The impact figures: read from the ledger and the claims, per neighbourhood and month, and
withheld below five residents."""

from datetime import date

from impact import figures
from tests.impact.conftest import moment

MONTHS = [date(2026, 3, 1), date(2026, 4, 1)]


def test_work_counts_paid_claims_in_the_month_the_work_was_handed_in(town):
    north = town.neighbourhood("Noord")
    task = town.task(north, reward=750, estimated_minutes=90)
    people = [town.resident(north) for _ in range(5)]
    for person in people:
        town.paid(task, person, moment(2026, 3))
    town.paid(town.task(north, reward=250), people[0], moment(2026, 4))

    work = figures.work_published(MONTHS)

    march = work[date(2026, 3, 1)][figures.area(north.pk)]
    assert (march.tasks, march.hours, march.earned, march.residents) == (5, 7.5, 3750, 5)
    assert not march.withheld
    # April: one resident only, so withheld (and so is the town, which would give it away).
    assert work[date(2026, 4, 1)][figures.area(north.pk)].withheld
    assert work[date(2026, 4, 1)][figures.TOWN].withheld


def test_spending_is_what_wallets_paid_shops_less_refunds_and_the_local_share(town):
    north, south = town.neighbourhood("Noord"), town.neighbourhood("Zuid")
    here, there = town.shop(north, "Bakker Noord"), town.shop(south, "Fietsen Zuid")
    people = [town.resident(north, funded=10_000) for _ in range(5)]
    for person in people:
        town.pay(person, here, 300, moment(2026, 3))
        town.pay(person, there, 100, moment(2026, 3))

    spending = figures.spending_published(MONTHS)[date(2026, 3, 1)][figures.area(north.pk)]

    assert (spending.spent, spending.local, spending.residents) == (2000, 1500, 5)
    assert spending.local_share == 75
    shops = figures.shops_taking_part(MONTHS)[date(2026, 3, 1)]
    assert shops[figures.area(north.pk)] == 1
    assert shops[figures.TOWN] == 2
