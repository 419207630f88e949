"""The staff pages of residents, shops and settlements page by cursor, as their API and the audit
log do (core.api.keyset_page_for_html): "Next" and "Previous" links that keep the filter, each
row once walking forwards and back, however many rows share a time; a cursor the service did not
write is a 404."""

import re

import pytest
from django.core.cache import cache

from tests.helpers import make_user, resident_rows, settlement_rows, shop_rows, staff_login


@pytest.fixture(autouse=True)
def _no_throttle():
    cache.clear()


@pytest.fixture
def staff(client, db):
    staff_login(client, make_user("staff@example.org", "admin", "finance", "approver", "reviewer"))
    return client


def _link(html, rel):
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return found and found.group(1).replace("&amp;", "&")


def walk(client, url, row, kept):
    """The ids of the rows (`row`-<id>) on every page from `url`, following "Next" to the end and
    "Previous" back; both ways agree, and every link keeps the filter `kept`."""
    forward, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        pages.append([int(n) for n in re.findall(rf'<tr id="{row}-(\d+)"', html)])
        forward += pages[-1]
        last, url = html, _link(html, "next")
        assert url is None or kept in url
    back, url = list(pages[-1]), _link(last, "prev")
    while url:
        assert kept in url
        html = client.get(url).content.decode()
        back = [int(n) for n in re.findall(rf'<tr id="{row}-(\d+)"', html)] + back
        url = _link(html, "prev")
    assert back == forward
    assert len(forward) == len(set(forward)), "a row shown twice"
    return forward, len(pages)


def test_the_residents_page_pages_by_cursor_keeping_the_search(staff):
    everyone = resident_rows(13)
    waiting, pages = walk(staff, "/staff/residents/?verified=no&limit=3", "resident", "verified=no")
    assert waiting == everyone[1::2]
    assert pages == 2
    found, pages = walk(staff, "/staff/residents/?q=person&limit=5", "resident", "q=person")
    assert found == everyone
    assert pages == 3
    first = staff.get("/staff/residents/").content.decode()
    assert first.count('<tr id="resident-') == 13
    assert _link(first, "next") is None  # fifty to a page: one page
    assert _link(first, "prev") is None


def test_the_shops_page_pages_by_cursor_keeping_the_status(staff):
    pending, approved = shop_rows(13)
    queue, pages = walk(staff, "/staff/shops/?status=pending&limit=5", "shop", "status=pending")
    assert queue == pending
    assert pages == 3
    every, _ = walk(staff, "/staff/shops/?status=all&limit=5", "shop", "status=all")
    assert every == [*pending, approved]
    # Seven new names asked for in one second, two to a page: every page is one tie.
    changes, pages = walk(staff, "/staff/shops/?status=changes&limit=2", "shop", "status=changes")
    assert changes == pending[::2]
    assert pages == 4


def test_the_settlements_page_pages_by_cursor_keeping_the_status(staff):
    every = settlement_rows(13)
    url = "/staff/payments/settlements/?status=requested&limit=3"
    queue, pages = walk(staff, url, "settlement", "status=requested")
    assert queue == every[::2]
    assert pages == 3
    everything, _ = walk(staff, "/staff/payments/settlements/?status=&limit=5", "settlement", "")
    assert everything == every  # all of them now, where the page stopped at 200 before


@pytest.mark.parametrize(
    "path", ["/staff/residents/", "/staff/shops/", "/staff/payments/settlements/"]
)
def test_a_foreign_cursor_on_a_staff_page_is_a_404(staff, path):
    assert staff.get(f"{path}?cursor=not-a-cursor").status_code == 404
    assert staff.get(f"{path}?cursor=cD0yMDI2LTAxLTAx").status_code == 404  # a time, no id
