"""The wallet's Pay screen for real people (issue 11, points 4 and 6), on a 360 x 740 phone:

- the QR, the short code, the balance with its unit and "1 Heitje = € 1" on the first screen,
  with the text at 130 %;
- a lost connection, a failing server or an ended session is said within a few seconds, and a
  code whose time ran out is taken off the screen with its instructions, not left there while
  "getting a new code"; the time left reads m:ss;
- the service worker keeps the shell and the offline page, and never keeps money data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import fund_wallet, make_resident, sign_in, tr
from tests.browser.wallet_helpers import above_the_fold, page_is_sound, phone, shot, speaks
from tests.payments.pay_fixtures import new_pem

AMOUNT_WITH_UNIT = {
    "nl": "4,75\N{NO-BREAK SPACE}Heitje",
    "de": "4,75\N{NO-BREAK SPACE}Heitje",
    "en": "4.75\N{NO-BREAK SPACE}Heitje",
}


@pytest.fixture(autouse=True)
def signing_key(settings: Any) -> None:
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = []
    settings.PAY_TOKEN_SECONDS = 300


@pytest.mark.parametrize("language", ["nl", "en"])
def test_pay_shows_code_balance_and_unit_on_the_first_screen_with_big_text(
    new_context: Any, language: str
) -> None:
    ria = make_resident()
    speaks(ria, language)
    fund_wallet(ria, 475)
    page = phone(new_context, big_text=True)
    sign_in(page, ria.email)
    page.goto("/wallet/pay/")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20.8px"
    shot(page, f"pay-{language}-130", full_page=False)

    for part in ("#pay-qr", "#short-code", "#pay-balance", "#pay-rate"):
        above_the_fold(page, part)
    expect(page.locator("#pay-balance")).to_contain_text(AMOUNT_WITH_UNIT[language])
    rate = tr(page, "1 %(unit)s = € 1") % {"unit": "Heitje"}
    assert rate == "1 Heitje = € 1"
    expect(page.locator("#pay-rate")).to_have_text(rate)
    expect(page.locator("#short-code")).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    # The time left as a clock reads it ("4:59"), not a count of seconds.
    still = tr(page, "Still valid for %%s.").replace("%%", "%")
    countdown = re.escape(still).replace("%s", r"[0-5]:[0-5]\d")
    expect(page.locator("#pay-code .countdown")).to_have_text(re.compile(f"^{countdown}$"))
    expect(page.locator("#pay-instructions")).to_be_visible()
    page_is_sound(page)


@pytest.mark.parametrize("language", ["nl", "de"])
def test_pay_says_it_is_offline_and_takes_the_expired_code_away(
    new_context: Any, settings: Any, language: str
) -> None:
    settings.PAY_TOKEN_SECONDS = 14  # the page asks for a new code 10 s before the end
    ria = make_resident()
    speaks(ria, language)
    fund_wallet(ria, 1_000)
    page = phone(new_context)
    sign_in(page, ria.email)
    page.goto("/wallet/pay/")
    expect(page.locator("#pay-qr")).to_be_visible()
    first_code = page.locator("#short-code").inner_text()

    page.context.set_offline(True)
    problem = page.locator("#pay-problem")
    expect(problem).to_be_visible(timeout=4_000)
    expect(problem).to_have_text(
        tr(
            page,
            "No connection. The code on screen works until its time runs out; connect to the "
            "internet to get a new one.",
        )
    )
    shot(page, f"pay-offline-{language}")
    # Once its time is up the code leaves the screen; no "getting a new code" forever.
    expect(page.locator("#pay-qr")).to_be_hidden(timeout=16_000)
    expect(page.locator("#short-code")).to_be_hidden()
    expect(page.locator("#pay-expired")).to_be_visible()
    expect(page.locator("#pay-expired")).to_have_text(
        tr(page, "This code has expired and can no longer be used.")
    )
    # No "show this code at the till" beside a code that can no longer be shown.
    expect(page.locator("#pay-instructions")).to_be_hidden()
    expect(problem).to_contain_text(
        tr(
            page,
            "No new code: there is no connection. Connect to the internet and the page gets a "
            "new code by itself.",
        )
    )
    shot(page, f"pay-offline-expired-{language}")
    page_is_sound(page)

    # Back online: a fresh code comes by itself and the message goes.
    page.context.set_offline(False)
    expect(page.locator("#pay-qr")).to_be_visible(timeout=6_000)
    expect(page.locator("#short-code")).not_to_have_text(first_code)
    expect(problem).to_be_hidden()
    expect(page.locator("#pay-instructions")).to_be_visible()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_pay_says_when_the_server_fails_or_the_session_ended(
    new_context: Any, settings: Any, language: str
) -> None:
    settings.PAY_TOKEN_SECONDS = 14
    ria = make_resident()
    speaks(ria, language)
    page = phone(new_context)
    sign_in(page, ria.email)
    page.goto("/wallet/pay/")
    expect(page.locator("#pay-qr")).to_be_visible()

    page.route("**/wallet/pay/code/", lambda route: route.fulfill(status=503, body="down"))
    problem = page.locator("#pay-problem")
    server = tr(
        page,
        "The server did not answer. The code on screen works until its time runs out; we keep "
        "trying.",
    )
    expect(problem).to_have_text(server, timeout=4_000)
    page.unroute("**/wallet/pay/code/")
    expect(problem).to_be_hidden(timeout=4_000)

    # The session ends (the cookie is gone): no sign-in form inside the Pay card.
    page.context.clear_cookies()
    signed_out = tr(page, "You were signed out. Sign in again to get a new code.")
    expect(problem).to_contain_text(signed_out, timeout=6_000)
    expect(page.locator("#pay-live form, #pay-live input[type=password]")).to_have_count(0)
    # The code still works until its time runs out, and then goes; the way back stays.
    expect(page.locator("#pay-qr")).to_be_hidden(timeout=14_000)
    expect(problem).to_contain_text(signed_out)
    shot(page, f"pay-signed-out-{language}")
    page.locator("#pay-sign-in").click()
    expect(page).to_have_url(re.compile(r"/login/\?next=/wallet/pay/"))


SW_CACHE = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_service_worker_keeps_the_shell_and_never_money_data(
    new_context: Any, language: str
) -> None:
    ria = make_resident()
    speaks(ria, language)
    fund_wallet(ria, 1_234)
    page = phone(new_context)
    sign_in(page, ria.email)
    page.goto("/wallet/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10_000)
    # Money pages and fragments, visited while the worker runs.
    page.goto("/wallet/pay/")
    expect(page.locator("#pay-qr")).to_be_visible()
    page.goto("/wallet/")

    cached = page.evaluate(SW_CACHE)
    assert "/wallet/offline/" in cached
    assert any(path.endswith(".css") for path in cached)
    assert any(path.endswith(".js") for path in cached)
    money = [p for p in cached if p.startswith(("/wallet/", "/api/")) and p != "/wallet/offline/"]
    assert money == [], f"the service worker kept money data: {money}"

    page.context.set_offline(True)
    page.goto("/wallet/")
    expect(page.locator("h1")).to_have_text(tr(page, "No internet connection"))
    # No "Sign in" or "Sign up" beside it: the way back is "Try again".
    expect(page.locator("header nav, #nav-sign-in, #nav-sign-up")).to_have_count(0)
    expect(page.locator("#offline-retry")).to_be_visible()
    assert "12,34" not in page.content()
    assert "12.34" not in page.content()
    shot(page, f"wallet-offline-{language}")
    page.goto("/wallet/pay/")
    expect(page.locator("h1")).to_have_text(tr(page, "No internet connection"))
    expect(page.locator("#pay-qr")).to_have_count(0)
    page.context.set_offline(False)
