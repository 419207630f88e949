"""Issue 11, point 12, in a real browser on a phone: everything on a page is in the page's
language. The password rules on sign-up, the photo help and the materials' pick-up place and
hours of a claim, British dates in English, amounts grouped as the language writes them, and
one name for each language. Screenshots under var/screenshots/language/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import User
from rewards import claims
from tests import helpers
from tests.browser.conftest import field, fund_wallet, make_resident, sign_in, tr
from tests.rewards.core_helpers import funded_campaign, published_task

SMALL = {"width": 360, "height": 740}
LARGE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "language"

MATERIALS = {
    "nl": ("Wijkcentrum, Akerstraat 10", "ma-vr 9:00-17:00"),
    "de": ("Stadtteilzentrum, Akerstraat 10", "Mo-Fr 9:00-17:00"),
    "en": ("Community centre, Akerstraat 10", "Mon-Fri 9:00-17:00"),
}
AMOUNTS = {"nl": "1.222,22", "de": "1.222,22", "en": "1,222.22"}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("language", "viewport"), [("nl", SMALL), ("en", LARGE)], ids=str)
def test_everything_on_the_page_is_in_its_language(
    new_context: Any, live_server: Any, language: str, viewport: dict[str, int]
) -> None:
    manager = helpers.make_user("mia@example.org", "task_manager")
    finance = helpers.make_user("fenna@example.org", "finance")
    approver = helpers.make_user("abel@example.org", "approver")
    task = published_task(
        manager,
        funded_campaign(manager, finance, approver),
        materials_where=MATERIALS["nl"][0],
        materials_when=MATERIALS["nl"][1],
        materials_where_de=MATERIALS["de"][0],
        materials_when_de=MATERIALS["de"][1],
        materials_where_en=MATERIALS["en"][0],
        materials_when_en=MATERIALS["en"][1],
    )
    ria = make_resident()
    User.objects.filter(pk=ria.pk).update(preferred_language=language)
    fund_wallet(ria, 122_222)
    claim = claims.claim_reserve(user=ria, task_id=task.pk)

    # A newcomer's too-short password is refused in the page's language.
    context = new_context(viewport=viewport)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto("/signup/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill("sanne@example.org")
    field(main, page, "Password").fill("Ab9!xy")
    field(main, page, "Display name").fill("Sanne")
    main.get_by_role("button", name=tr(page, "Sign up"), exact=True).click()
    with translation.override(language):
        too_short = translation.ngettext(
            "This password is too short. It must contain at least %d character.",
            "This password is too short. It must contain at least %d characters.",
            10,
        ) % (10)
    expect(main).to_contain_text(too_short)
    # One name for each language, in the footer and in the form alike.
    for select in (page.locator("#language-select"), field(main, page, "Language")):
        expect(select.locator("option")).to_have_text(["Nederlands", "Deutsch", "English"])
    shot(page, f"{language}-signup")

    sign_in(page, ria.email)
    page.goto(f"/wallet/tasks/claims/{claim.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    where, when = MATERIALS[language]
    expect(page.locator("#materials")).to_have_text(f"{where}{when}")
    with translation.override(language):
        photos = translation.gettext(
            "Up to %(n)d photos (JPEG, PNG or HEIC), at most %(mb)d MB each."
        ) % {"n": 5, "mb": 10}
    expect(page.get_by_role("main")).to_contain_text(photos)
    shot(page, f"{language}-claim")

    page.goto("/wallet/")
    expect(page.get_by_test_id("balance")).to_have_text(AMOUNTS[language])
    history = page.locator("#statement-lines")
    if language == "en":
        # British: "7 Dec 2026, 15:46", never "Dec. 7, 2026, 3:46 p.m.".
        expect(history).to_contain_text(re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\b"))
        expect(history).not_to_contain_text(re.compile(r"[ap]\.m\."))
    else:
        expect(history).to_contain_text(re.compile(r"\b\d{1,2} [a-z]+ \d{4}\b"))
    shot(page, f"{language}-wallet")
