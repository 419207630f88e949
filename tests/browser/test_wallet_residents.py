"""The wallet for residents who are new (issue 11, points 9, 10, 11, 14 and 15), on a 360 x 740
phone, in Dutch and in German or English:

9.  sign-up says payouts wait for the letter's code and where to go without one; the wallet
    shows what waits; hold messages say what to do next;
10. the task list starts with the resident's neighbourhood, shows distances given a location,
    and an empty filter explains itself and offers neighbourhoods with tasks;
11. the evidence form asks for the location with a button, lets the phone's gallery be used, and
    counts the reservation from when the materials can be picked up;
14. the wallet's one history names the shop, the task and a refund's reason;
15. the wallet lists the shops that take Heitje, by neighbourhood, as their owners describe
    them on the shop's own page."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import formats, timezone, translation
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Neighbourhood, ResidentProfile, User
from payments import services as payments
from rewards import claims, review, selectors
from rewards.models import Claim, ClaimStatus
from shops import services as shops
from shops.models import Shop
from tests.browser.conftest import (
    fund_wallet,
    make_approved_shop,
    make_resident,
    sign_in,
    switch_language,
    tr,
)
from tests.browser.wallet_helpers import page_is_sound, phone, shot, speaks
from tests.helpers import make_user
from tests.payments.pay_fixtures import new_pem
from tests.rewards.core_helpers import funded_campaign, published_task

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def staff() -> dict[str, User]:
    return {
        "manager": make_user("mia@example.org", "task_manager"),
        "finance": make_user("fenna@example.org", "finance"),
        "approver": make_user("abel@example.org", "approver"),
        "reviewer": make_user("rob@example.org", "reviewer"),
    }


@pytest.fixture
def campaign(staff: dict[str, User]) -> Any:
    return funded_campaign(staff["manager"], staff["finance"], staff["approver"])


def approved(staff: dict[str, User], user: User, task: Any) -> Claim:
    """The resident did the task (a note as evidence) and a reviewer approved it."""
    claim = claims.claim_reserve(user=user, task_id=task.pk)
    claims.claim_submit(user=user, claim_id=claim.pk, note="Gedaan")
    claim, _outcome = review.claim_approve(staff=staff["reviewer"], claim_id=claim.pk)
    claim.refresh_from_db()
    return claim


def in_language(language: str, minor: int) -> str:
    """An amount with its unit as the page writes it."""
    with translation.override(language):
        number = formats.number_format(
            Decimal(minor) / 100, decimal_pos=2, use_l10n=True, force_grouping=True
        )
    return f"{number}{NBSP}Heitje"


# --- 9. the residency path ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "de"])
def test_the_residency_path_leads_somewhere(
    new_context: Any, settings: Any, staff: dict[str, User], campaign: Any, language: str
) -> None:
    settings.MUNICIPALITY_DESK = "Stadskantoor, Geleenstraat 27, Heerlen"
    settings.MUNICIPALITY_PHONE = "14 045"
    settings.MUNICIPALITY_DESK_HOURS = "ma-vr 9:00-17:00"
    settings.MUNICIPALITY_DESK_HOURS_DE = "Mo-Fr 9:00-17:00"
    hours = settings.MUNICIPALITY_DESK_HOURS_DE if language == "de" else "ma-vr 9:00-17:00"
    visitor = phone(new_context)
    visitor.goto("/signup/")
    if language != "nl":
        switch_language(visitor, language)
    box = visitor.locator("#signup-residency")
    expect(box).to_contain_text(tr(visitor, "Rewards are paid once we know you live here"))
    expect(box.locator("#municipality-desk")).to_have_text(settings.MUNICIPALITY_DESK)
    expect(box.locator("#municipality-phone")).to_have_text("14 045")
    # The desk's opening hours are a setting, in the page's language.
    expect(box.locator("#municipality-hours")).to_have_text(hours)
    expect(box.locator("#municipality-phone")).to_have_attribute("href", "tel:14045")
    shot(visitor, f"signup-residency-{language}")
    page_is_sound(visitor)

    ria = make_resident()
    speaks(ria, language)
    task = published_task(
        staff["manager"], campaign, reward=1500, estimated_minutes=180, photo_required=False
    )
    claim = approved(staff, ria, task)
    assert claim.status == ClaimStatus.APPROVED
    assert claim.hold_reason  # held: the residency is not verified

    page = phone(new_context)
    sign_in(page, ria.email)
    page.goto("/wallet/")
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text(
        tr(page, "%(amount)s waiting for your residency") % {"amount": in_language(language, 1500)}
    )
    expect(page.locator("#no-letter #municipality-desk")).to_have_text(settings.MUNICIPALITY_DESK)
    expect(page.locator("#no-letter #municipality-hours")).to_have_text(hours)
    shot(page, f"wallet-waiting-{language}")
    page_is_sound(page)

    page.goto("/wallet/tasks/claims/")
    hold = page.locator(f"#claim-{claim.pk} .notice--warning")
    expect(hold).to_contain_text(
        tr(
            page,
            "Waiting for your residency. Enter the code from the municipality's letter in your "
            "wallet; without a letter, go to the municipality's desk. It is paid as soon as you "
            "are verified.",
        )
    )
    shot(page, f"claims-held-{language}")
    hold.get_by_role("link", name=tr(page, "Verify my residency")).click()
    expect(page.locator("#residency")).to_be_visible()
    expect(page.locator("#id_code")).to_be_visible()


# --- 10. tasks near me ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_tasks_start_near_the_resident(
    new_context: Any, staff: dict[str, User], campaign: Any, language: str
) -> None:
    home, other, empty = (
        Neighbourhood.objects.create(name=name) for name in ("Heerlerbaan", "Molenberg", "Zeswegen")
    )
    now = timezone.now()
    far = published_task(
        staff["manager"],
        campaign,
        title_nl="Stoep vegen",
        title_de="",
        neighbourhood_id=other.pk,
        ends_at=now + timedelta(days=2),
        latitude=Decimal("50.900000"),
        longitude=Decimal("6.000000"),
    )
    near = published_task(
        staff["manager"],
        campaign,
        title_nl="Bankje schilderen",
        neighbourhood_id=home.pk,
        ends_at=now + timedelta(days=10),
        latitude=Decimal("50.888100"),
        longitude=Decimal("5.979500"),
    )
    ria = make_resident()
    speaks(ria, language)
    ResidentProfile.objects.filter(user=ria).update(neighbourhood=home)

    page = phone(new_context, geolocation={"latitude": 50.8885, "longitude": 5.9790})
    sign_in(page, ria.email)
    page.goto("/wallet/tasks/")
    cards = page.locator(".task-card")
    expect(cards.first).to_have_attribute("id", f"task-{near.pk}")  # although it ends later
    expect(page.locator("#own-first")).to_contain_text("Heerlerbaan")
    shot(page, f"tasks-own-first-{language}")
    page_is_sound(page)

    page.locator("#near-me").click()
    expect(page.locator(f"#task-{near.pk} .distance")).to_have_text(
        tr(page, "%(km)s km away") % {"km": "0.1" if language == "en" else "0,1"}
    )
    expect(page.locator(f"#task-{far.pk} .distance")).to_contain_text("km")
    shot(page, f"tasks-distance-{language}")

    page.get_by_label(tr(page, "Neighbourhood"), exact=True).select_option(label="Zeswegen")
    page.locator("#filter-submit").click()
    emptied = page.locator("#tasks-empty")
    expect(emptied).to_contain_text(
        tr(page, "No open tasks in %(name)s right now.") % {"name": empty.name}
    )
    offered = emptied.locator("#tasks-elsewhere a")
    expect(offered).to_have_text(["Heerlerbaan", "Molenberg"])  # nearest first
    shot(page, f"tasks-empty-{language}")
    page_is_sound(page)
    offered.nth(1).click()
    expect(page.locator(f"#task-{far.pk}")).to_be_visible()
    expect(page.locator(f"#task-{near.pk}")).to_have_count(0)


# --- 11. the evidence form -----------------------------------------------------------------------


def jpeg_file(tmp_path: Any) -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 90, 200)).save(out, format="JPEG")
    path = tmp_path / "bankje.jpg"
    path.write_bytes(out.getvalue())
    return str(path)


@pytest.mark.parametrize("language", ["nl", "de"])
def test_the_evidence_form_is_made_for_phones(
    new_context: Any,
    settings: Any,
    tmp_path: Any,
    staff: dict[str, User],
    campaign: Any,
    language: str,
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    task = published_task(
        staff["manager"],
        campaign,
        location_required=True,
        pickup_opens=time(9, 0),
        pickup_closes=time(12, 0),
    )
    ria = make_resident()
    speaks(ria, language)
    claim = claims.claim_reserve(user=ria, task_id=task.pk)
    # Claimed yesterday evening, when the materials could not be picked up.
    evening = timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=1), time(20, 0))
    )
    Claim.objects.filter(pk=claim.pk).update(reserved_at=evening)
    claim.refresh_from_db()
    opening = timezone.make_aware(datetime.combine(timezone.localdate(), time(9, 0)))
    deadline = opening + timedelta(hours=settings.REWARDS_RESERVATION_HOURS)
    assert selectors.claim_reservation_deadline(claim) == deadline

    page = phone(
        new_context, geolocation={"latitude": 50.8881, "longitude": 5.9795, "accuracy": 12}
    )
    sign_in(page, ria.email)
    # The task is reserved: its page leads to sending the evidence, not to claiming it again.
    page.goto(f"/wallet/tasks/{task.pk}/")
    expect(page.locator("#claim-task")).to_have_count(0)
    page.locator("#send-evidence").click()
    expect(page).to_have_url(re.compile(rf"/wallet/tasks/claims/{claim.pk}/"))
    expect(page.locator("#pickup-hours")).to_have_text(
        tr(page, "Every day from %(opens)s to %(closes)s") % {"opens": "09:00", "closes": "12:00"}
    )
    # The pick-up hours are the task's data, in the page's words; no free text beside them
    # that could say other hours (or say them in another language).
    expect(page.locator("#materials")).not_to_contain_text(task.materials_when or "\u0000")
    with translation.override(language):
        when = formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT")
    expect(page.get_by_role("main")).to_contain_text(when)

    form = page.locator("#evidence-form")
    expect(form.locator("input[name=latitude]")).to_have_attribute("type", "hidden")
    expect(form.locator("input[name=longitude]")).to_have_attribute("type", "hidden")
    expect(form.get_by_label(tr(page, "Latitude"))).to_have_count(0)
    photos = form.locator("input[type=file]")
    expect(photos).to_have_attribute("accept", "image/*")
    assert photos.get_attribute("capture") is None  # the gallery, not only the camera
    # The picker is a button in the page's words, not the browser's "Choose Files".
    pick = form.locator("#photo-pick")
    expect(pick).to_have_text(tr(page, "Add photos"))
    box = pick.bounding_box()
    assert box is not None
    assert box["height"] >= 44, box
    assert box["width"] >= 44, box
    picker = photos.bounding_box()
    assert picker is not None
    assert picker["width"] <= 1, "the browser's own picker shows"
    expect(form.get_by_label(tr(page, "Add photos"))).to_have_count(1)
    chosen = form.locator("#photos-chosen")
    expect(chosen).to_have_text(tr(page, "No photo chosen yet."))
    result = page.locator("#evidence-geo-result")
    expect(result).to_have_text(tr(page, "No location added yet."))
    shot(page, f"evidence-form-{language}")
    page_is_sound(page)

    page.locator("#evidence-location").click()
    found = tr(page, "Location added, accurate to about %%s m.").replace("%%", "%")
    expect(result).to_have_text(found % "12")
    photos.set_input_files(jpeg_file(tmp_path))
    expect(chosen).to_have_text(tr(page, "Chosen: %%s").replace("%%s", "bankje.jpg"))
    # "Give the task back" stands well apart from "Send".
    send = page.locator("#evidence-submit").bounding_box()
    give_back = page.locator("#claim-withdraw").bounding_box()
    assert send is not None
    assert give_back is not None
    assert give_back["y"] - (send["y"] + send["height"]) >= 48, (send, give_back)
    shot(page, f"evidence-located-{language}")
    page.locator("#evidence-submit").click()
    expect(page.locator("#claim-state")).to_contain_text(tr(page, "Sent: waiting for a reviewer."))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert (claim.latitude, claim.longitude) == (Decimal("50.888100"), Decimal("5.979500"))


# --- 14. one history that names the other side ---------------------------------------------


@pytest.mark.parametrize("language", ["nl", "de"])
def test_the_history_names_the_shop_the_task_and_the_refund(
    new_context: Any, settings: Any, staff: dict[str, User], campaign: Any, language: str
) -> None:
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = []
    owner = make_user("owner@example.org", "resident")
    shop = make_approved_shop(owner, "Bakkerij Ria")
    ria = make_resident()
    speaks(ria, language)
    ResidentProfile.objects.filter(user=ria).update(residency_verified_at=timezone.now())
    fund_wallet(ria, 2_000)
    task = published_task(staff["manager"], campaign, photo_required=False, reward=450)
    assert approved(staff, ria, task).status == ClaimStatus.PAID
    payment = payments.charge_with_token(
        cashier=owner, shop_id=shop.pk, amount=325, code=payments.pay_token_issue(user=ria).payload
    )
    payments.refund(
        actor=owner, shop_id=shop.pk, payment_id=payment.pk, amount=100, reason="Brood was op"
    )

    page = phone(new_context)
    sign_in(page, ria.email)
    page.goto("/wallet/pay/history/")  # the old payments list leads to the one history
    expect(page).to_have_url(re.compile(r"/wallet/#statement$"))
    lines = page.locator("#statement-lines > li")
    expect(lines).to_have_count(4)
    refund, paid, reward, _mint = (lines.nth(n) for n in range(4))
    expect(refund.locator(".statement__other")).to_have_text("Bakkerij Ria")
    expect(refund).to_contain_text(tr(page, "Refund from a shop"))
    expect(refund.locator(".statement__detail")).to_contain_text("Brood was op")
    expect(refund.locator(".statement__amount")).to_have_text("+" + in_language(language, 100))
    expect(paid.locator(".statement__other")).to_have_text("Bakkerij Ria")
    expect(paid.locator(".statement__amount")).to_have_text("-" + in_language(language, 325))
    title = task.title_de if language == "de" else task.title_nl
    expect(reward.locator(".statement__other")).to_have_text(title)
    expect(reward).to_contain_text(tr(page, "Reward for a task"))
    page.locator("#statement").scroll_into_view_if_needed()
    shot(page, f"wallet-history-{language}")
    page_is_sound(page)


# --- 15. where to spend ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_wallet_lists_where_to_spend(new_context: Any, language: str) -> None:
    home, other = (Neighbourhood.objects.create(name=n) for n in ("Heerlerbaan", "Centrum"))
    baker = make_user("bakker@example.org", "resident", preferred_language=language)
    bakery = make_approved_shop(baker, "Bakkerij Ria")
    books = make_approved_shop(make_user("boek@example.org", "resident"), "Boekhandel Jan")
    Shop.objects.filter(pk=books.pk).update(neighbourhood=home, what_we_sell="Boeken en kaarten")
    # The baker says on the shop's own page where it is and what it sells.
    owner = phone(new_context)
    sign_in(owner, baker.email)
    owner.goto(f"/shop/{bakery.pk}/edit/")
    main = owner.get_by_role("main")
    main.get_by_label(tr(owner, "Neighbourhood"), exact=True).select_option(label="Centrum")
    main.get_by_label(tr(owner, "What the shop sells"), exact=True).fill("Brood en vlaai")
    shot(owner, f"shop-listing-{language}")
    page_is_sound(owner)
    owner.locator("#shop-form-submit").click()
    expect(owner).to_have_url(re.compile(rf"/shop/{bakery.pk}/$"))
    bakery.refresh_from_db()
    assert (bakery.neighbourhood, bakery.what_we_sell) == (other, "Brood en vlaai")
    applicant = make_user("nieuw@example.org", "resident")
    pending = shops.shop_apply(
        owner=applicant,
        name="Nog niet open",
        address="Markt 2",
        category=bakery.category,
        iban="NL91ABNA0417164300",
    )
    ria = make_resident()
    speaks(ria, language)
    ResidentProfile.objects.filter(user=ria).update(neighbourhood=home)

    page = phone(new_context)
    sign_in(page, ria.email)
    page.goto("/wallet/")
    page.locator("#wallet-shops").click()
    expect(page.locator("h1")).to_have_text(tr(page, "Shops that accept Heitje"))
    groups = page.locator(".shop-group h2")
    expect(groups.first).to_contain_text("Heerlerbaan")  # the resident's own first
    expect(groups.nth(1)).to_have_text("Centrum")
    card = page.locator(f"#shop-{bakery.pk}")
    expect(card).to_contain_text("Markt 1, Heerlen")
    expect(card).to_contain_text("Brood en vlaai")
    expect(page.locator(f"#shop-{books.pk}")).to_contain_text("Boeken en kaarten")
    expect(page.locator(f"#shop-{pending.pk}")).to_have_count(0)
    shot(page, f"wallet-shops-{language}")
    page_is_sound(page)
