"""The staff lists that grow without end page by cursor (core.api.KeysetPage), as the audit log
does: residents, shops and settlements. Walked page by page, forwards and back, each row shows
once and in order, though many rows share a time; a filter holds on every page; a cursor the
service did not write is a 404 problem+json that says to start again."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from payments.models import SettlementStatus
from shops.models import ShopStatus
from tests.helpers import (
    audit_rows,
    make_user,
    resident_rows,
    settlement_rows,
    shop_rows,
    staff_login,
)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


@pytest.fixture
def api(db):
    client = APIClient()
    staff_login(client, make_user("staff@example.org", "admin", "finance", "approver", "reviewer"))
    return client


def walk(api, url):
    """Every id of a list, following `next` from `url` to the end and then `previous` back to
    the start; both ways must agree, page for page."""
    forward, pages = [], []
    while url:
        body = api.get(url)
        assert body.status_code == 200, body.content
        body = body.json()
        assert set(body) == {"next", "previous", "results"}  # no count: nothing counts the rows
        pages.append([row["id"] for row in body["results"]])
        forward += pages[-1]
        last, url = body, body["next"]
    back, url = list(pages[-1]), last["previous"]
    while url:
        body = api.get(url).json()
        back = [row["id"] for row in body["results"]] + back
        url = body["previous"]
    assert back == forward
    assert len(forward) == len(set(forward)), "a row shown twice"
    return forward, len(pages)


def test_residents_page_by_cursor_each_once_in_sign_up_order_with_the_filter(api):
    everyone = resident_rows(23)
    shown, pages = walk(api, "/api/v1/staff/residents/?limit=5")
    assert shown == everyone
    assert pages == 5
    waiting, pages = walk(api, "/api/v1/staff/residents/?limit=5&verified=false")
    assert waiting == everyone[1::2]
    assert pages == 3
    found, _ = walk(api, "/api/v1/staff/residents/?limit=5&q=PERSON")
    assert found == everyone


def test_shops_page_by_cursor_each_once_oldest_first_with_the_filter(api):
    pending, approved = shop_rows(23)
    shown, pages = walk(api, "/api/v1/staff/shops/?limit=5")
    assert shown == [*pending, approved]
    assert pages == 5
    queue, _ = walk(api, f"/api/v1/staff/shops/?limit=5&status={ShopStatus.PENDING}")
    assert queue == pending
    # Twelve changes asked for in one second, three to a page: every page is one tie.
    changes, pages = walk(api, "/api/v1/staff/shops/?limit=3&change_pending=true")
    assert changes == pending[::2]  # the oldest request first, ties in the order shops applied
    assert pages == 4


def test_settlements_page_by_cursor_each_once_oldest_first_with_the_filter(api):
    every = settlement_rows(23)
    shown, pages = walk(api, "/api/v1/staff/settlements/?limit=5")
    assert shown == every
    assert pages == 5
    queue, pages = walk(
        api, f"/api/v1/staff/settlements/?limit=5&status={SettlementStatus.REQUESTED}"
    )
    assert queue == every[::2]
    assert pages == 3


@pytest.mark.parametrize(
    "path", ["/api/v1/staff/residents/", "/api/v1/staff/shops/", "/api/v1/staff/settlements/"]
)
@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "cD15ZXN0ZXJkYXk%3D",  # base64 of "p=yesterday": well formed, but no id
        "cD0yMDI2LTAxLTAx",  # base64 of "p=2026-01-01": a time, where these lists hold an id
        "cD05OTk5OTk5OTk5OTk5OTk5OTk5OQ==",  # "p=99999999999999999999": past bigint
        "cD0xJm89Mw==",  # "p=1&o=3": DRF's count of tied rows, which these cursors never hold
    ],
)
def test_a_foreign_cursor_is_a_404_that_says_start_again(api, path, cursor):
    response = api.get(f"{path}?cursor={cursor}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "first page" in response.json()["title"]


def test_a_cursor_of_one_list_is_refused_by_a_list_on_a_time(api):
    """The audit log's cursors hold a time: an id from another list is no page of it."""
    resident_rows(3)
    body = api.get("/api/v1/staff/residents/?limit=1").json()
    cursor = body["next"].split("cursor=")[1].split("&")[0]
    response = api.get(f"/api/v1/staff/audit-log/?cursor={cursor}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("ties_every", [3, 7, 50])
def test_the_audit_log_walks_back_and_forth_each_event_once(api, ties_every):
    """Seven or fifty events in one second, five to a page: DRF's own cursor (the time and a
    count of rows past it) walked back from the last page to the wrong rows."""
    audit_rows(23, ties_every=ties_every)
    shown, pages = walk(api, "/api/v1/staff/audit-log/?limit=5&action=neighbourhood.")
    assert len(shown) == 23
    assert pages == 5
