"""Issue 11, point 13: on a 360 px phone with its text at 130 %, no page of the wallet, Pay,
Scan, tasks, claims, what I achieved and my yearly statement, or the till and the shop's monthly
statement, scrolls sideways, every primary action is fully visible, tables
become lists and every tap target is at least 44 px (text links in lists too); "Sign out" sits
on the brand's row and the wallet's action bar is one row, at most an eighth of the screen.

"Text at 130 %" is the browser's default font size raised from 16 to 21 px (Chromium's
Page.setFontSizes over the DevTools protocol), which is what Android's font-size setting does to
a web page: every rem-sized text and box of our stylesheets grows with it, the viewport does
not. The sweep runs in Dutch and German (the longest words) and saves a screenshot of each page
under var/screenshots/layout/ to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role, User
from payments import services
from rewards import claims
from shops.models import ShopMember, ShopRole
from tests import helpers
from tests.browser.conftest import fund_wallet, make_approved_shop, make_resident, sign_in
from tests.payments.pay_fixtures import new_pem
from tests.rewards.core_helpers import funded_campaign, published_task

SMALL_PHONE = {"width": 360, "height": 740}
TEXT_130 = 21  # px: 130 % of the browsers' default 16 px
TAP_MIN = 44
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "layout"

# What a person taps: buttons, button-like links, fields, the navigation and the bottom bar,
# and links that stand alone in a list item or table cell. Links inside running text are
# exempt (WCAG 2.5.8), as are the skip link (shown only on focus) and hidden controls.
TAP_TARGETS = """
() => {
  const selector = [
    'main button', 'main .button', 'main input:not([type=hidden])', 'main select',
    'main textarea', 'header a', 'header button', '.bottom-bar a', '.bottom-bar button',
    'main li > a', 'main td > a', 'main dd > a', 'main p > a:only-child',
  ].join(',');
  const seen = new Set();
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.matches('a') && el.parentElement.matches('p, li, dd, td')) {
      // A link in a sentence (text around it) is exempt; one standing alone is a target.
      const text = el.parentElement.textContent.trim();
      if (text !== el.textContent.trim()) continue;
    }
    if (style.opacity === '0' && el.id) {
      // A control drawn by its label (the evidence form's "Add photos"): the label is tapped.
      const label = document.querySelector(`label[for="${el.id}"]`);
      const row = label && label.getBoundingClientRect();
      if (row && row.height >= 44 && row.width >= 44) continue;
    }
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || document.querySelector(`label[for="${el.id}"]`);
      const row = (label || el).getBoundingClientRect();
      if (Math.max(row.height, box.height) >= 44) continue;
    }
    if (box.height < 44 || box.width < 44) {
      const text = (el.textContent || el.value || '').trim().slice(0, 30);
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()}#${el.id || ''} "${text}" ${size}`);
    }
  }
  return small;
}
"""

# Primary actions (submit buttons, the bottom bar's buttons) must be whole on the screen's
# width and not cut off inside their own box.
CLIPPED_ACTIONS = """
() => {
  const out = [];
  const width = window.innerWidth;
  const actions = 'main button, main .button, .bottom-bar a, .bottom-bar button';
  for (const el of document.querySelectorAll(actions)) {
    if (el.closest('[hidden]') || getComputedStyle(el).visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.left < 0 || box.right > width + 0.5 || el.scrollWidth > el.clientWidth + 1) {
      const name = el.id || el.textContent.trim().slice(0, 30);
      out.push(`${name}: ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return out;
}
"""

# A table on a phone is read as a list: its rows stack, each cell says which column it is.
TABLES_AS_LISTS = """
() => Array.from(document.querySelectorAll('main table')).filter(
  (table) => getComputedStyle(table).display === 'table'
).map((table) => table.id || 'a table')
"""


@pytest.fixture(autouse=True)
def signing_key(settings: Any) -> None:
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = []
    settings.PAY_TOKEN_SECONDS = 300


def large_text(page: Any) -> None:
    """Raise the browser's default font size to 130 %, as Android's font scaling does."""
    session = page.context.new_cdp_session(page)
    session.send("Page.setFontSizes", {"fontSizes": {"standard": TEXT_130, "fixed": TEXT_130}})


def town() -> dict[str, Any]:
    """A resident with money, history and a claim; a shop with a cashier, a payment, an open
    payment request and a settlement request."""
    manager = helpers.make_user("mia@example.org", "task_manager", display_name="Mia")
    finance = helpers.make_user("fenna@example.org", "finance", display_name="Fenna")
    approver = helpers.make_user("abel@example.org", "approver", display_name="Abel")
    task = published_task(manager, funded_campaign(manager, finance, approver))
    other = published_task(manager, funded_campaign(manager, finance, approver, name="Groen"))
    owner = helpers.make_user("owner@example.org", Role.RESIDENT)
    shop = make_approved_shop(owner, name="Bakkerij en Koffiehuis Schaesbergerveld")
    cashier = helpers.make_user("cashier@example.org")
    ShopMember.objects.create(shop=shop, user=cashier, role=ShopRole.CASHIER)
    ria = make_resident()
    fund_wallet(ria, 123_456)
    claim = claims.claim_reserve(user=ria, task_id=task.pk)
    claims.claim_reserve(user=ria, task_id=other.pk)
    payment = services.charge_with_token(
        cashier=cashier,
        shop_id=shop.pk,
        amount=1_234,
        code=services.pay_token_issue(user=ria).payload,
    )
    made, _payload = services.payment_request_create(cashier=cashier, shop_id=shop.pk, amount=320)
    return {
        "ria": ria,
        "owner": owner,
        "shop": shop,
        "task": task,
        "claim": claim,
        "payment": payment,
        "request": made,
    }


def resident_pages(data: dict[str, Any]) -> list[str]:
    return [
        "/wallet/",
        "/wallet/statement/",
        "/wallet/pay/",
        "/wallet/pay/scan/",
        "/wallet/pay/history/",
        "/wallet/tasks/",
        f"/wallet/tasks/{data['task'].pk}/",
        "/wallet/tasks/claims/",
        f"/wallet/tasks/claims/{data['claim'].pk}/",
        "/account/sessions/",
        "/wallet/achieved/",
        f"/wallet/achieved/{timezone.localdate().year}/",
    ]


def till_pages(data: dict[str, Any]) -> list[str]:
    till = f"/shop/{data['shop'].pk}/till/"
    return [
        till,
        f"{till}request/",
        f"{till}request/{data['request'].pk}/",
        f"{till}today/",
        f"{till}payments/{data['payment'].pk}/refund/",
        f"{till}settlements/",
        f"{till}statement/",
        f"/shop/{data['shop'].pk}/statements/{timezone.localdate():%Y/%m}/",
    ]


def sweep(page: Any, paths: list[str], language: str) -> list[str]:
    problems: list[str] = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in paths:
        response = page.goto(path)
        assert response is not None, path
        assert response.status == 200, f"{path}: {response.status}"
        root_size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
        assert root_size == f"{TEXT_130}px", f"{path}: the text is not enlarged ({root_size})"
        name = urlsplit(page.url).path.strip("/").replace("/", "_") or "home"
        page.screenshot(path=str(SHOTS / f"{language}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > SMALL_PHONE["width"]:
            problems.append(f"{path}: scrolls sideways ({width} px)")
        for small in page.evaluate(TAP_TARGETS):
            problems.append(f"{path}: tap target under {TAP_MIN} px: {small}")
        for clipped in page.evaluate(CLIPPED_ACTIONS):
            problems.append(f"{path}: action not fully visible: {clipped}")
        for table in page.evaluate(TABLES_AS_LISTS):
            problems.append(f"{path}: {table} is a table, not a list, on a phone")
    return problems


@pytest.mark.parametrize("language", ["nl", "de"])
def test_no_page_scrolls_sideways_and_every_target_is_big_enough(
    new_context: Any, language: str
) -> None:
    data = town()
    User.objects.filter(pk__in=[data["ria"].pk, data["owner"].pk]).update(
        preferred_language=language
    )
    problems: list[str] = []
    for user, pages in ((data["ria"], resident_pages), (data["owner"], till_pages)):
        page = new_context(viewport=SMALL_PHONE).new_page()
        large_text(page)
        sign_in(page, user.email)
        problems += sweep(page, pages(data), language)
        problems += header_and_bar(page)
    assert problems == [], "\n".join(problems)


def header_and_bar(page: Any) -> list[str]:
    """On the wallet's first page: "Sign out" is a button on the brand's row (not a lone word
    wrapped under the tabs), and the sticky action bar is one row, at most an eighth of the
    screen, however long the words."""
    problems: list[str] = []
    page.goto("/wallet/" if page.locator("#nav-wallet").count() else "/shop/")
    brand, sign_out = (
        page.locator("#brand").bounding_box(),
        page.locator("#nav-sign-out").bounding_box(),
    )
    assert brand is not None
    assert sign_out is not None
    if abs((brand["y"] + brand["height"] / 2) - (sign_out["y"] + sign_out["height"] / 2)) > 8:
        problems.append(f"{page.url}: Sign out is not on the brand's row ({sign_out})")
    if sign_out["x"] + sign_out["width"] < SMALL_PHONE["width"] - 40:
        problems.append(f"{page.url}: Sign out is not at the header's right edge ({sign_out})")
    bar = page.locator(".bottom-bar")
    if bar.count():
        box = bar.bounding_box()
        assert box is not None
        if box["height"] > SMALL_PHONE["height"] / 8:
            problems.append(f"{page.url}: the action bar is {box['height']:.0f} px high")
        tops = {round(b["y"]) for b in (a.bounding_box() for a in bar.locator("a").all()) if b}
        if len(tops) > 1:
            problems.append(f"{page.url}: the action bar's buttons take {len(tops)} rows")
    return problems
