"""The public pages in a real browser: they render, and axe finds nothing serious."""

from urllib.parse import urlsplit

from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import axe_serious, tr


def test_landing_page_is_accessible(page):
    page.goto("/")
    assert page.locator("h1").count() == 1
    assert axe_serious(page) == []


def _in_language(page, language: str) -> None:
    """Set the cookie the language switcher sets, for the whole site."""
    site = urlsplit(page.url)
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language}
    page.context.add_cookies([{**cookie, "url": f"{site.scheme}://{site.netloc}/"}])


def test_not_found_page_is_friendly_in_every_language(page):
    """The 404 page answers in the visitor's language (read from the English page, so the test
    follows the wording), with no technical details."""
    page.goto("/")
    _in_language(page, "en")
    response = page.goto("/no-such-page/")
    assert response is not None
    assert response.status == 404
    english = page.locator("h1").inner_text()
    assert "Traceback" not in page.content()
    for language in ("nl", "de"):
        _in_language(page, language)
        page.goto("/no-such-page/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        translated = tr(language, english)
        assert translated != english, f"the 404 heading has no {language} translation"
        expect(page.locator("h1")).to_have_text(translated)
