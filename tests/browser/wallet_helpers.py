"""Helpers of the wallet's browser tests (issue 11): a small phone, larger text, the resident's
language, screenshots to look at.

Larger text: Android's font scaling enlarges text, not the page. The nearest thing in desktop
Chromium is the default font size; an init script sets the root's font size to 130 % before the
page paints, so everything sized in rem (the whole site) grows as it would on the phone, while the
viewport stays 360 px wide. (A device scale factor would enlarge the whole page instead, and
leave the layout as it is at 100 %.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import axe_serious

SMALL_PHONE = {"width": 360, "height": 740}
BIG_TEXT = """
(() => {
  const grow = () => { document.documentElement.style.fontSize = "130%"; };
  if (document.documentElement) grow();
  document.addEventListener("DOMContentLoaded", grow);
})();
"""
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def phone(new_context: Any, *, big_text: bool = False, **options: Any) -> Any:
    """A page on a 360 x 740 phone, text at 130 % when `big_text`."""
    context = new_context(SMALL_PHONE)
    for name, value in options.items():
        if name == "geolocation":
            context.grant_permissions(["geolocation"])
            context.set_geolocation(value)
    if big_text:
        context.add_init_script(BIG_TEXT)
    return context.new_page()


def speaks(user: User, language: str) -> None:
    """The resident reads the pages in `language` (their preference, as the switcher sets)."""
    User.objects.filter(pk=user.pk).update(preferred_language=language)


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot of the page, or of the first screen only (var/screenshots, not
    committed), to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def page_is_sound(page: Any) -> None:
    """axe finds nothing serious and nothing scrolls sideways."""
    problems = axe_serious(page)
    assert not problems, f"{page.url}: {problems}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways"


def above_the_fold(page: Any, selector: str) -> None:
    """The element is visible and wholly inside the first screen, without scrolling."""
    element = page.locator(selector)
    expect(element).to_be_visible()
    box = element.bounding_box()
    assert box is not None, selector
    height = page.viewport_size["height"]
    assert box["y"] >= 0, f"{selector} starts above the screen"
    assert box["y"] + box["height"] <= height, (
        f"{selector} ends at {box['y'] + box['height']:.0f} px of a {height} px screen"
    )
