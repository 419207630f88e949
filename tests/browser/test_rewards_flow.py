"""From a task to a paid resident, in Chromium: a task manager creates and publishes a task in a
funded campaign; a resident finds it on her phone, claims it and sends a photo from the camera
input; a reviewer (someone else) approves it; the payout lands and the wallet shows the new
balance. Every rewards page on the way passes axe without serious or critical violations."""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from django.utils import timezone, translation
from PIL import Image
from playwright.sync_api import expect

from accounts.models import ResidentProfile
from accounts.templatetags.heitje import tokens
from rewards import campaigns
from rewards.models import Claim, ClaimStatus, Task, TaskStatus
from tests.browser.conftest import (
    assert_pages_exist,
    axe_serious,
    code_input,
    field,
    make_resident,
    page_language,
    sign_in,
    staff_device,
    totp_now,
    tr,
)
from tests.helpers import make_user

LAPTOP = {"width": 1280, "height": 900}
SMALL_PHONE = {"width": 360, "height": 740}


def staff_sign_in(page, user):
    """Sign in and pass the TOTP check with the code the person's authenticator shows."""
    key = staff_device(user)
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/staff/2fa/verify/"))
    code = code_input(page)
    code.fill(totp_now(key))
    code.press("Enter")
    page.wait_for_url(lambda url: "/staff/2fa/" not in urlsplit(url).path)


def check_axe(page):
    problems = axe_serious(page)
    assert not problems, f"{page.url}: {problems}"


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], page.url


def test_task_to_paid_claim(new_context, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    manager = make_user("mia@example.org", "task_manager", display_name="Mia")
    finance = make_user("fenna@example.org", "finance", display_name="Fenna")
    approver = make_user("abel@example.org", "approver", display_name="Abel")
    reviewer = make_user("rob@example.org", "reviewer", display_name="Rob")
    campaign = campaigns.campaign_create(
        actor=manager, name="Schoon Heerlen", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )
    mint = campaigns.mint_request(
        actor=finance, campaign_id=campaign.pk, amount=50_000, reason="Voorjaar"
    )
    campaigns.mint_approve(actor=approver, request_id=mint.pk)
    ria = make_resident("ria@example.org")
    ResidentProfile.objects.filter(user=ria).update(residency_verified_at=timezone.now())

    # The task manager creates the task and publishes it.
    staff = new_context(LAPTOP).new_page()
    assert_pages_exist(staff, "/staff/2fa/verify/")
    staff_sign_in(staff, manager)
    staff.goto(f"/staff/rewards/campaigns/{campaign.pk}/")
    check_axe(staff)
    staff.get_by_role("link", name=tr(staff, "New task")).click()
    check_axe(staff)
    main = staff.get_by_role("main")
    now = timezone.localtime()
    field(main, staff, "Title (Dutch)").fill("Bankje schilderen")
    field(main, staff, "Description (Dutch)").fill("Schilder het bankje bij de speeltuin.")
    field(main, staff, "Category").select_option("painting")
    field(main, staff, "Reward").fill("4.50")
    field(main, staff, "Estimated minutes of work").fill("60")
    field(main, staff, "Capacity").fill("5")
    field(main, staff, "Open from").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    field(main, staff, "Open until").fill((now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    field(main, staff, "Latitude").fill("50.888100")
    field(main, staff, "Longitude").fill("5.979500")
    field(main, staff, "Materials: where to pick them up").fill("Wijkcentrum De Kopermolen")
    main.get_by_role("button", name=tr(staff, "Save"), exact=True).click()
    expect(staff).to_have_url(re.compile(r"/staff/rewards/tasks/\d+/$"))
    task = Task.objects.get()
    assert task.status == TaskStatus.DRAFT
    check_axe(staff)
    staff.get_by_role("link", name=tr(staff, "Publish"), exact=True).click()
    # A confirmation first: the task as residents will see it, and the languages it lacks.
    expect(staff.locator("#preview-nl")).to_contain_text("Bankje schilderen")
    check_axe(staff)
    staff.get_by_role("button", name=tr(staff, "Publish"), exact=True).click()
    expect(staff.locator("#task-status")).to_have_text(tr(staff, "Published"))
    task.refresh_from_db()
    assert task.status == TaskStatus.PUBLISHED

    # The resident finds it on her phone, claims it and sends a photo.
    context = new_context(SMALL_PHONE)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 50.8900, "longitude": 5.9800})
    phone = context.new_page()
    sign_in(phone, ria.email)
    phone.goto("/wallet/tasks/")
    check_axe(phone)
    no_horizontal_scroll(phone)
    # "Use my location": the list comes back nearest first, with the distance.
    phone.get_by_role("button", name=tr(phone, "Use my location")).click()
    expect(phone).to_have_url(re.compile(r"lat=50\.89"))
    expect(phone.locator(f"#task-{task.pk} .distance")).to_contain_text(re.compile(r"0[.,]2 km"))
    phone.get_by_role("link", name="Bankje schilderen").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Bankje schilderen")
    check_axe(phone)
    no_horizontal_scroll(phone)
    phone.get_by_role("button", name=tr(phone, "Claim this task")).click()
    expect(phone).to_have_url(re.compile(r"/wallet/tasks/claims/\d+/$"))
    check_axe(phone)
    no_horizontal_scroll(phone)
    photo = tmp_path / "bankje.jpg"
    Image.new("RGB", (320, 240), (30, 110, 70)).save(photo, format="JPEG")
    main = phone.get_by_role("main")
    field(main, phone, "Add photos").set_input_files(str(photo))
    field(main, phone, "Note").fill("Geschilderd, twee lagen.")
    main.get_by_role("button", name=tr(phone, "Send"), exact=True).click()
    claim = Claim.objects.get()
    expect(phone.locator("#claim-state")).to_contain_text(
        tr(phone, "Sent: waiting for a reviewer.")
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.evidence.count() == 1
    check_axe(phone)

    # A reviewer (not the task's creator) approves it from the queue.
    desk = new_context(LAPTOP).new_page()
    staff_sign_in(desk, reviewer)
    desk.goto("/staff/rewards/review/")
    row = desk.locator(f"#claim-{claim.pk}")
    expect(row.get_by_role("img")).to_have_count(1)
    # The thumbnail really loads (served privately to this TOTP-verified reviewer).
    desk.wait_for_function(
        "() => [...document.querySelectorAll('#queue img')].every(i => i.naturalWidth > 0)"
    )
    check_axe(desk)
    row.get_by_role("link", name="Bankje schilderen").click()
    desk.wait_for_function(
        "() => [...document.querySelectorAll('.photos img')].every(i => i.naturalWidth > 0)"
    )
    check_axe(desk)
    desk.get_by_role(
        "button", name=re.compile(rf"^{re.escape(tr(desk, 'Approve & next'))}")
    ).click()
    expect(desk.get_by_role("status")).to_contain_text(f"#{claim.pk}")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    desk.goto(f"/staff/rewards/claims/{claim.pk}/")
    check_axe(desk)

    # The payout landed: the wallet shows the reward as its balance.
    phone.goto("/wallet/")
    with translation.override(page_language(phone)):
        reward = tokens(450)
    expect(phone.get_by_test_id("balance")).to_contain_text(reward)
    phone.goto(f"/wallet/tasks/claims/{claim.pk}/")
    expect(phone.locator("#claim-state")).to_contain_text(tr(phone, "Paid into your wallet."))
    phone.goto("/wallet/tasks/notifications/")
    check_axe(phone)
    no_horizontal_scroll(phone)


def test_mint_and_campaign_pages_pass_axe(new_context):
    finance = make_user("fenna@example.org", "finance", display_name="Fenna")
    approver = make_user("abel@example.org", "approver", display_name="Abel")
    manager = make_user("mia@example.org", "task_manager", display_name="Mia")
    campaign = campaigns.campaign_create(
        actor=manager, name="Groen Heerlen", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )

    page = new_context(LAPTOP).new_page()
    assert_pages_exist(page, "/staff/2fa/verify/")
    staff_sign_in(page, manager)
    page.goto("/staff/rewards/campaigns/new/")
    check_axe(page)
    # An empty form: errors on the fields, in words, and no campaign.
    page.get_by_role("main").get_by_role("button", name=tr(page, "Create campaign")).click()
    name = field(page.get_by_role("main"), page, "Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    check_axe(page)
    page.goto(f"/staff/rewards/campaigns/{campaign.pk}/close/")
    check_axe(page)

    page = new_context(LAPTOP).new_page()
    staff_sign_in(page, finance)
    page.goto(f"/staff/rewards/campaigns/{campaign.pk}/mint/")
    check_axe(page)
    main = page.get_by_role("main")
    field(main, page, "Amount").fill("1000")
    field(main, page, "Why the budget needs it").fill("Zomer")
    main.get_by_role("button", name=tr(page, "Request"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/staff/rewards/campaigns/{campaign.pk}/$"))

    page = new_context(LAPTOP).new_page()
    staff_sign_in(page, approver)
    page.goto("/staff/rewards/mints/")
    check_axe(page)
    page.get_by_role("main").get_by_role("link", name=re.compile(tr(page, "Approve"))).click()
    # A confirmation first, with the amount and the budget before and after.
    expect(page.locator("#confirm-figures")).to_contain_text(re.compile(r"1[.,]000[.,]00"))
    check_axe(page)
    page.locator("#confirm-action").click()
    expect(page.get_by_role("status")).to_be_visible()
    check_axe(page)
    page.goto(f"/staff/rewards/campaigns/{campaign.pk}/")
    expect(page.locator(".figures")).to_contain_text(re.compile(r"1[.,]000[.,]00"))
