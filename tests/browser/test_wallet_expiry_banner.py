"""The wallet's expiry banner on a 360 px phone with its text at 130 %, in nl, de and en: the
whole sentence is on the screen (no sideways scroll, nothing cut off), at least as big as the
page's text, with the amount in tokens. Screenshots go to var/screenshots/layout/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from ledger import services as ledger_services
from payments import expiry
from tests.browser.conftest import fund_wallet, make_resident, sign_in
from tests.browser.test_phone_layout import SHOTS, SMALL_PHONE, TEXT_130, large_text
from tests.factories import currency as project_currency

BANNER_BOX = """
() => {
  const el = document.querySelector('#wallet-expiry');
  const box = el.getBoundingClientRect();
  return {left: box.left, right: box.right, size: parseFloat(getComputedStyle(el).fontSize),
          root: parseFloat(getComputedStyle(document.documentElement).fontSize),
          width: document.documentElement.scrollWidth};
}
"""


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "1.234,56 Heitje gaat op"),
        ("de", "1.234,56 Heitje gehen am"),
        ("en", "1,234.56 Heitje will return to the municipality on"),
    ],
)
def test_the_expiry_banner_is_whole_and_big_on_a_small_phone(
    new_context: Any, language: str, words: str
) -> None:
    ria = make_resident()
    User.objects.filter(pk=ria.pk).update(preferred_language=language)
    fund_wallet(ria, 123_456)
    ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=12)
    assert expiry.wallet_expiries_notify(now=timezone.now() + timedelta(days=400)) == 1

    page = new_context(SMALL_PHONE).new_page()
    large_text(page)
    sign_in(page, ria.email)
    page.goto("/wallet/")
    assert page.locator("html").get_attribute("lang") == language
    banner = page.locator("#wallet-expiry")
    assert banner.is_visible()
    assert words in banner.inner_text().replace("\N{NO-BREAK SPACE}", " ")
    box = page.evaluate(BANNER_BOX)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{language}-wallet-expiry-banner.png"), full_page=True)
    assert box["root"] == TEXT_130
    assert box["width"] <= SMALL_PHONE["width"], "the wallet scrolls sideways"
    assert box["left"] >= 0
    assert box["right"] <= SMALL_PHONE["width"]
    assert box["size"] >= box["root"], "the banner is smaller than the page's text"
