"""Issue 15 points 8 and 9 as people read them: a resident on a small phone with text at 130 %
(360x740 and 390x844) in Dutch, German and English sees the warning near the monthly and the
yearly maximum in words and tokens ("150,00 Heitje", never cents) and what to do about it, reads
"what I achieved" and the yearly statement (also printed), and gets the sign-up form's refusal of
birth year 1850 in their own language, next to the field; a staff member sets the earning rules
and a resident's birth year on a phone. No page scrolls sideways; every field has its label.
Screenshots (and the printed statement as PDF) go to var/screenshots/review/ to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from rewards import payouts
from rewards.models import Claim, ClaimStatus, EarningRules
from tests import helpers
from tests.browser.conftest import sign_in, tr
from tests.browser.test_phone_layout import SMALL_PHONE, large_text
from tests.browser.test_staff_review_queue import staff_sign_in
from tests.rewards import review_fixtures as fx

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "review"
SIZES = {"360": SMALL_PHONE, "390": {"width": 390, "height": 844}}
LANGUAGES = ("nl", "de", "en")
ADVICE = {
    "nl": "uitkeringsinstantie",
    "de": "Sozialleistungen",
    "en": "benefits office",
}
# The warning in words a resident knows, saying what happens and what to do; no "cap" or
# "claims" (the staff's words).
PLAIN = {
    "nl": ("maandmaximum", "30,00\xa0Heitje", "volgende maand"),
    "de": ("Höchstbetrag", "30,00\xa0Heitje", "nächsten Monat"),
    "en": ("monthly maximum", "30.00\xa0Heitje", "next month"),
}
JARGON = ("cap", "Claim", "claim", "Anspr", "Obergrenze")
PAID = {"nl": "150,00\xa0Heitje", "de": "150,00\xa0Heitje", "en": "150.00\xa0Heitje"}

# Form fields a person fills in without a label tied to them (for=, wrapping label or aria).
UNLABELLED = """
() => Array.from(document.querySelectorAll(
  'main input:not([type=hidden]):not([type=submit]), main select, main textarea'
)).filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
  && !el.getAttribute('aria-labelledby')).map((el) => el.name || el.id)
"""


def open_page(page: Any, path: str, name: str) -> None:
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, f"{path}: {response.status}"
    look(page, name)


def look(page: Any, name: str) -> None:
    """Screenshot the page and check it reads on the phone: no sideways scroll, labels tied."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways: {width}px"
    assert page.evaluate(UNLABELLED) == [], f"{name}: a field without a label"


def phone(browser: Any, live_server: Any, size: str, language: str) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=SIZES[size], locale=language)
    context.set_default_timeout(10_000)
    context.set_extra_http_headers({"Accept-Language": language})
    page = context.new_page()
    large_text(page)
    return page


def near_both_maxima(language: str) -> User:
    """A resident paid 150.00 this month and this year, of at most 180.00 a month and 187.50 a
    year: past 80 % of both."""
    year = timezone.localdate().year
    EarningRules.objects.update_or_create(
        year=year,
        defaults={
            "hourly_cap": 500,
            "youth_hourly_cap": 275,
            "youth_under_age": 21,
            "monthly_cap": 18_000,
            "annual_cap": 18_750,
        },
    )
    manager = helpers.make_user(f"mia-{language}@example.org", "task_manager")
    reviewer = helpers.make_user(f"rob-{language}@example.org", "reviewer")
    task = fx.task(fx.campaign(manager, budget=1_000_000), manager, reward=15_000)
    ria = fx.resident(f"ria-{language}@example.org", language=language)
    claim = fx.submitted(task, ria)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED, reviewed_by=reviewer)
    assert payouts.claim_pay(claim_id=claim.pk) == payouts.PayoutOutcome.PAID
    return ria


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_resident_near_the_maxima_reads_the_wallet_and_the_statement(
    browser, live_server, transactional_db, size
):
    year = timezone.localdate().year
    for language in LANGUAGES:
        ria = near_both_maxima(language)
        page = phone(browser, live_server, size, language)
        sign_in(page, ria.email)
        open_page(page, "/wallet/", f"{language}-{size}-wallet")
        for notice in ("#cap-near-month", "#cap-near-year"):
            text = page.locator(notice).inner_text()
            assert PAID[language] in text, f"{language} {notice}: {text}"
            assert "15000" not in text, f"{language}: cents shown"
            assert "15.000" not in text, f"{language}: cents shown"
        month = page.locator("#cap-near-month").inner_text()
        for word in PLAIN[language]:
            assert word in month, f"{language}: {word!r} not in {month!r}"
        for word in JARGON:
            assert word not in month, f"{language}: {word!r} in {month!r}"
        # What to do, said once, after the last warning.
        advice = ADVICE[language]
        assert page.locator("main").inner_text().count(advice) == 1, f"{language}: advice"
        assert advice in page.locator("#cap-near-year").inner_text()

        open_page(page, "/wallet/achieved/", f"{language}-{size}-achieved")
        expect(page.locator("#cap-near-year")).to_be_visible()
        expect(page.locator("#achieved-earned")).to_contain_text(PAID[language])

        open_page(page, f"/wallet/achieved/{year}/", f"{language}-{size}-statement")
        expect(page.locator("#statement-total")).to_contain_text(PAID[language])
        # Printed on A4 (794 px wide at 96 dpi) the statement is a table with its headings.
        page.set_viewport_size({"width": 794, "height": 1123})
        page.emulate_media(media="print")
        look(page, f"{language}-{size}-statement-print")
        heading = page.locator("#table-statement thead th").nth(5)
        expect(heading).to_be_visible()
        expect(heading).to_have_text(tr(language, "Monthly maximum"))
        right = page.evaluate(
            "document.querySelector('#table-statement').getBoundingClientRect().right"
        )
        assert right <= 794, f"{language}: the printed table is cut off at the right ({right})"
        if size == "390":
            page.pdf(path=str(SHOTS / f"{language}-statement.pdf"), format="A4")
        page.context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_sign_up_refuses_birth_year_1850_in_the_persons_language(
    browser, live_server, transactional_db, size
):
    for language in LANGUAGES:
        page = phone(browser, live_server, size, language)
        open_page(page, "/signup/", f"{language}-{size}-signup")
        year = page.get_by_label(tr(language, "Birth year (optional)"))
        expect(year).to_have_count(1)
        main = page.get_by_role("main")
        main.get_by_label(tr(language, "Email address")).fill(f"old-{language}@example.org")
        page.locator("input[name=password]").fill(helpers.PASSWORD)
        page.locator("input[name=display_name]").fill("Opa")
        year.fill("1850")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        look(page, f"{language}-{size}-signup-1850")
        error = tr(language, "A birth year is from 1900 to this year, or left empty.")
        described = year.get_attribute("aria-describedby") or ""
        texts = " ".join(
            page.locator(f"#{ident}").inner_text() for ident in described.split() if ident
        )
        assert error in texts, f"{language}: the field does not say why ({texts!r})"
        assert not User.objects.filter(email=f"old-{language}@example.org").exists()
        page.context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_staff_set_the_rules_and_a_birth_year_on_a_phone(
    browser, live_server, transactional_db, size
):
    for language in LANGUAGES:
        staff = helpers.make_user(
            f"adam-{language}@example.org", "admin", preferred_language=language
        )
        ria = fx.resident(f"ria-{language}@example.org", language=language)
        page = phone(browser, live_server, size, language)
        staff_sign_in(page, staff)
        open_page(page, "/staff/rewards/rules/", f"{language}-{size}-staff-rules")
        year = timezone.localdate().year
        row = page.locator(f"#rules-{year}")
        # Stacked on the phone, each figure says what it is.
        expect(row.locator("td[data-label]")).to_have_count(5)
        expect(row.locator("td").nth(2)).to_have_attribute(
            "data-label", tr(language, "Monthly maximum")
        )
        row.get_by_role("link").click()
        look(page, f"{language}-{size}-staff-rules-edit")
        expect(page.get_by_label(tr(language, "Monthly maximum"))).to_have_count(1)

        open_page(page, "/staff/residents/", f"{language}-{size}-staff-residents")
        form = page.locator(f"#birth-year-{ria.pk}")
        form.get_by_role("spinbutton").fill("1850")
        form.get_by_role("button").click()
        page.wait_for_load_state()
        look(page, f"{language}-{size}-staff-residents-1850")
        rule = tr(language, "A birth year is from 1900 to this year, or left empty.")
        said = tr(language, "%(name)s: the birth year is not saved. %(rule)s")
        error = said % {"name": ria.display_name, "rule": rule}
        expect(page.get_by_text(error)).to_be_visible()
        page.context.close()
