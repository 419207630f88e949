"""The public pages in Chromium, in each language: axe finds nothing serious, the charts are
drawn and every chart has its table."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import axe_serious, make_resident, sign_in, switch_language
from tests.impact.conftest import Town, moment


@pytest.fixture
def town(db) -> Town:
    """The impact tests' town (tests/impact/conftest.py), in this browser suite's database."""
    return Town(campaign=factories.CampaignFactory.create(funded=10_000_000))


@pytest.fixture
def lively_town(town):
    north = town.neighbourhood("Noord")
    task = town.task(north, reward=800)
    shop = town.shop(north)
    today = timezone.localdate()
    for _ in range(6):
        person = town.resident(north, funded=2_000)
        town.paid(task, person, moment(today.year, today.month, 1))
        town.pay(person, shop, 300, moment(today.year, today.month, 1))
    town.paid(town.task(None), town.resident(None), moment(today.year, today.month, 1))
    return north


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_impact_page_is_accessible_in_every_language(page, lively_town, language):
    page.goto("/impact/")
    switch_language(page, language)
    page.goto(f"/impact/?neighbourhood={lively_town.pk}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.locator("table")).to_have_count(4)
    assert axe_serious(page) == []


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_transparency_page_is_accessible_in_every_language(page, language):
    resident = make_resident()
    factories.mint(resident.resident.wallet_id, 1_500)
    sign_in(page, resident.email)
    page.goto("/transparency/")
    switch_language(page, language)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("#table-kinds")).to_be_visible()
    expect(page.locator("#own-proofs li")).to_have_count(1)
    assert axe_serious(page) == []


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_open_data_page_is_accessible_and_links_its_downloads(page, lively_town, language):
    page.goto("/")
    switch_language(page, language)
    page.locator("#home-open-data").click()
    expect(page.locator("h1")).to_have_count(1)
    csv_link = page.locator("#download-csv")
    assert page.request.get(csv_link.get_attribute("href")).text().startswith("month,level,")
    assert axe_serious(page) == []


def test_finance_page_and_funders_report_are_accessible(page, lively_town):
    from tests.browser.test_accessibility import staff_signed_in

    staff_signed_in(page)
    page.goto("/staff/")
    page.locator("#home-staff-finance").click()
    expect(page.locator("#table-burn")).to_be_visible()
    assert axe_serious(page) == []
    today = timezone.localdate().isoformat()
    page.locator("#report-from").fill(today[:8] + "01")
    page.locator("#report-to").fill(today)
    page.locator("#report-show").click()
    expect(page.locator("#report-total")).to_be_visible()
    assert axe_serious(page) == []


def test_what_i_achieved_and_my_statement_are_accessible(page, lively_town):
    resident = make_resident()
    sign_in(page, resident.email)
    page.goto("/wallet/")
    page.locator("#wallet-achieved").click()
    # A new resident: no "I did 0 tasks" to share, but a way to a first task.
    expect(page.locator("#achieved-none").get_by_role("link")).to_be_visible()
    expect(page.locator("#achieved-share")).to_have_count(0)
    assert axe_serious(page) == []
    page.locator("#achieved-statement").click()
    expect(page.locator("#table-statement tbody tr")).to_have_count(12)
    assert axe_serious(page) == []


def test_the_earning_rules_pages_are_accessible(page, db):
    from tests.browser.test_accessibility import staff_signed_in

    staff_signed_in(page)
    page.goto("/staff/")
    page.locator("#home-rewards-staff-rules").click()
    expect(page.locator("#rules-table")).to_be_visible()
    assert axe_serious(page) == []
    page.locator(f"#rules-{timezone.localdate().year} a").click()
    expect(page.locator("#rules-form")).to_be_visible()
    assert axe_serious(page) == []


def test_a_shops_monthly_statement_is_accessible(page, town):
    owner = factories.UserFactory.create()
    shop = town.shop(None, owner=owner)
    person = town.resident(None, funded=2_000)
    today = timezone.localdate()
    town.pay(person, shop, 300, moment(today.year, today.month, 1))
    sign_in(page, owner.email)
    page.goto(f"/shop/{shop.pk}/till/statement/")
    page.locator("#statement-monthly").click()
    expect(page.locator("#shop-statement-total")).to_be_visible()
    assert axe_serious(page) == []
