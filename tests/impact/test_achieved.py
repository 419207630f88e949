"""The wallet's "what I achieved": my own year, what my neighbourhood did with me, and one
sentence to share; linked from the wallet home."""

from django.utils import timezone

from accounts.models import User
from tests import factories
from tests.impact.conftest import moment


def test_my_year_and_my_neighbourhoods(client, town):
    north = town.neighbourhood("Noord")
    today = timezone.localdate()
    when = moment(today.year, today.month, 1)
    bench, litter = town.task(north, reward=600, estimated_minutes=90), town.task(north, reward=400)
    me = town.resident(north)
    town.paid(bench, me, when)
    town.paid(litter, me, when)
    for _ in range(5):
        town.paid(bench, town.resident(north), when)
    town.pay(me, town.shop(north), 250, when)

    client.force_login(me)
    assert "/wallet/achieved/" in client.get("/wallet/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    page = client.get("/wallet/achieved/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="achieved-tasks">2<' in page
    assert 'id="achieved-hours">2.5<' in page
    assert "10.00\xa0Heitje" in page  # earned 6.00 + 4.00
    assert "2.50\xa0Heitje" in page  # spent
    assert f"In {today.year} I did 2 tasks for Noord with Heitje, about 2.5 hours of work." in page
    assert "With your neighbours you did 7 tasks this year" in page

    User.objects.filter(pk=me.pk).update(preferred_language="nl")
    dutch = client.get("/wallet/achieved/").content.decode()
    assert f"In {today.year} deed ik met Heitje 2 taken voor Noord" in dutch


def test_a_small_neighbourhood_is_not_given_away(client, town):
    north = town.neighbourhood("Noord")
    today = timezone.localdate()
    me, neighbour = town.resident(north), town.resident(north)
    task = town.task(north, reward=500)
    town.paid(task, me, moment(today.year, today.month, 1))
    town.paid(task, neighbour, moment(today.year, today.month, 1))
    client.force_login(me)
    page = client.get("/wallet/achieved/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Only months with five residents count: none here, so no "you did 0 tasks", but why.
    assert "0 tasks" not in page
    assert "fewer than five residents" in page


def test_only_residents_have_it(client, db):
    client.force_login(factories.UserFactory.create())
    assert client.get("/wallet/achieved/").status_code == 403


def test_a_resident_near_the_annual_cap_is_warned(client, town, settings):
    settings.REWARDS_ANNUAL_CAP = 2_000
    me = town.resident(None)
    today = timezone.localdate()
    task = town.task(None, reward=900)
    town.paid(task, me, moment(today.year, today.month, 1))
    client.force_login(me)
    assert 'id="cap-near-year"' not in client.get("/wallet/achieved/").content.decode()

    town.paid(task, me, moment(today.year, today.month, 1))  # 18.00 of 20.00: 90 %
    page = client.get("/wallet/achieved/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    warning = page.split('id="cap-near-year">')[1].split("</p>")[0]
    assert "18.00\xa0Heitje" in warning
    assert "2.00\xa0Heitje is left" in warning


def test_nothing_done_yet_says_so_and_where_to_start(client, town):
    """A resident without a paid task this year reads a sentence and a way to a task, not "I
    did 0 tasks" to share or "with your neighbours you did 0 tasks"."""
    north = town.neighbourhood("Noord")
    me = town.resident(north)
    client.force_login(me)
    page = client.get("/wallet/achieved/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You have not done a task yet this year." in page
    assert 'href="/wallet/tasks/"' in page
    assert "0 tasks" not in page
    assert 'id="achieved-share"' not in page
    User.objects.filter(pk=me.pk).update(preferred_language="nl")
    dutch = client.get("/wallet/achieved/").content.decode()
    assert "Je hebt dit jaar nog geen taak gedaan." in dutch
