"""The public pages in a real browser: they render, and axe finds nothing serious."""

from tests.browser.conftest import axe_serious


def test_landing_page_is_accessible(page):
    page.goto("/")
    assert page.locator("h1").count() == 1
    assert axe_serious(page) == []
