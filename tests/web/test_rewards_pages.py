"""The rewards pages: the staff console (/staff/rewards/) and the resident's tasks
(/wallet/tasks/). Each page works for the right person and refuses everyone else (sign in, 403,
the 2FA step, or 404 for someone else's claim); bad input shows errors on the field and changes
nothing; the whole way from a campaign to a paid claim works through the pages."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEvent, Neighbourhood, Notification, ResidentProfile
from accounts.templatetags.heitje import tokens_unit
from ledger import selectors as ledger_selectors
from rewards import campaigns, claims
from rewards.models import (
    Campaign,
    Claim,
    ClaimStatus,
    Evidence,
    MintRequest,
    MintStatus,
    Task,
    TaskStatus,
)
from tests.helpers import make_user, staff_login
from tests.rewards.core_helpers import funded_campaign, published_task, resident


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    return tmp_path / "evidence"


@pytest.fixture
def manager(db):
    return make_user("manager@example.org", "task_manager", display_name="Mia")


@pytest.fixture
def finance(db):
    return make_user("finance@example.org", "finance", display_name="Fenna")


@pytest.fixture
def approver(db):
    return make_user("approver@example.org", "approver", display_name="Abel")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer@example.org", "reviewer", display_name="Rob")


@pytest.fixture
def ria(db):
    """A resident whose residency is verified (so she is paid)."""
    user = resident("ria@example.org")
    ResidentProfile.objects.filter(user=user).update(residency_verified_at=timezone.now())
    return user


@pytest.fixture
def bram(db):
    return resident("bram@example.org")


@pytest.fixture
def campaign(manager, finance, approver):
    return funded_campaign(manager, finance, approver, amount=100_000)


@pytest.fixture
def task(manager, campaign):
    return published_task(manager, campaign, latitude="50.888100", longitude="5.979500")


def jpeg(color=(20, 120, 60)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG")
    out.seek(0)
    out.name = "work.jpg"
    return out


def submitted_claim(user, task) -> Claim:
    claim = claims.claim_reserve(user=user, task_id=task.pk)
    return claims.claim_submit(user=user, claim_id=claim.pk, photos=[jpeg()], note="Klaar")


def wallet_balance(user) -> int:
    return ledger_selectors.account_balance(account_id=user.resident.wallet_id)


def error_of(response, field: str) -> str:
    """The error text shown for `field` (tied to it by id), or ''."""
    form = response.context["form"]
    return " ".join(form.errors.get(field, []))


# --- who may open what ----------------------------------------------------------------------

STAFF_PAGES = [
    # (url name, kwargs-maker, roles that may open it)
    ("rewards-staff-home", None, {"task_manager", "reviewer", "approver", "finance"}),
    ("rewards-staff-campaign-create", None, {"task_manager"}),
    ("rewards-staff-campaign", "campaign", {"task_manager", "reviewer", "approver", "finance"}),
    ("rewards-staff-campaign-edit", "campaign", {"task_manager"}),
    ("rewards-staff-campaign-close", "campaign", {"task_manager"}),
    ("rewards-staff-mint-request", "campaign", {"finance"}),
    ("rewards-staff-mints", None, {"approver", "finance"}),
    ("rewards-staff-task-create", "campaign", {"task_manager"}),
    ("rewards-staff-task", "task", {"task_manager", "reviewer", "approver", "finance"}),
    ("rewards-staff-task-edit", "task", {"task_manager"}),
    ("rewards-staff-review", None, {"reviewer", "approver", "finance"}),
    ("rewards-staff-claim", "claim", {"reviewer", "approver", "finance"}),
]
ROLES = ["task_manager", "reviewer", "approver", "finance"]


@pytest.fixture
def things(manager, campaign, task, bram):
    claim = submitted_claim(bram, task)
    return {
        "campaign": {"campaign_id": campaign.pk},
        "task": {"task_id": task.pk},
        "claim": {"claim_id": claim.pk},
    }


def test_staff_pages_open_for_their_roles_only(client, things, ria):
    for name, kind, allowed in STAFF_PAGES:
        url = reverse(name, kwargs=things[kind] if kind else None)
        client.logout()
        response = client.get(url)
        assert response.status_code == 302, name
        assert response.url.startswith("/login/"), name
        client.force_login(ria)
        assert client.get(url).status_code == 403, name
        for role in ROLES:
            person = make_user(f"{role}-{name}@example.org", role)
            client.force_login(person)
            response = client.get(url)
            if role in allowed:
                # Without TOTP: the 2FA step first.
                assert response.status_code == 302, (name, role)
                assert response.url == reverse("staff-2fa-setup"), (name, role)
                staff_login(client, person)
                response = client.get(url)
                assert response.status_code == 200, (name, role)
                assert response.content.decode().count("<h1") == 1, (name, role)
            else:
                assert response.status_code == 403, (name, role)


def test_wallet_pages_for_residents_only_and_own_claims_only(client, task, ria, bram, reviewer):
    claim = submitted_claim(bram, task)
    photo = claim.evidence.get()
    mine = [
        reverse("rewards-wallet-tasks"),
        reverse("rewards-wallet-task", kwargs={"task_id": task.pk}),
        reverse("rewards-wallet-claims"),
        reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk}),
        reverse("rewards-wallet-notifications"),
    ]
    for url in mine:
        client.logout()
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/login/"), url
        staff_login(client, reviewer)
        assert client.get(url).status_code == 403, url
        client.force_login(bram)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content.decode().count("<h1") == 1, url
    evidence_url = reverse(
        "rewards-wallet-evidence", kwargs={"claim_id": claim.pk, "evidence_id": photo.pk}
    )
    response = client.get(evidence_url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == "image/jpeg"

    # Someone else's claim and photo: 404, and withdrawing it changes nothing.
    client.force_login(ria)
    assert (
        client.get(reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk})).status_code
        == 404
    )
    assert client.get(evidence_url).status_code == 404
    response = client.post(reverse("rewards-wallet-claim-withdraw", kwargs={"claim_id": claim.pk}))
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_staff_evidence_needs_a_totp_session(client, task, bram, reviewer):
    claim = submitted_claim(bram, task)
    url = reverse(
        "rewards-staff-evidence",
        kwargs={"claim_id": claim.pk, "evidence_id": claim.evidence.get().pk},
    )
    client.force_login(reviewer)
    assert client.get(url).status_code == 302  # to the 2FA step
    staff_login(client, reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    Image.open(io.BytesIO(response.content)).verify()


# --- campaigns and mints --------------------------------------------------------------------


def test_create_campaign_and_bad_window_changes_nothing(client, manager):
    north = Neighbourhood.objects.order_by("pk").first()
    staff_login(client, manager)
    url = reverse("rewards-staff-campaign-create")
    response = client.post(
        url, {"name": "Schoon", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}
    )
    assert response.status_code == 422
    assert "cannot end before it starts" in error_of(response, "ends_on")
    response = client.post(url, {"name": "x" * 201, "starts_on": "2026-05-01", "ends_on": "nope"})
    assert response.status_code == 422
    assert error_of(response, "name")
    assert error_of(response, "ends_on")
    assert not Campaign.objects.exists()

    response = client.post(
        url,
        {
            "name": "Schoon Heerlerbaan",
            "description": "Zwerfafval",
            "starts_on": "2026-05-01",
            "ends_on": "2026-09-30",
            "neighbourhoods": [north.pk],
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("rewards-staff-campaign", kwargs={"campaign_id": campaign.pk})
    assert list(campaign.neighbourhoods.all()) == [north]
    assert AuditEvent.objects.filter(action="campaign.create").count() == 1

    # Edit, then close with a confirmation page.
    edit = reverse("rewards-staff-campaign-edit", kwargs={"campaign_id": campaign.pk})
    response = client.post(edit, {"name": "", "starts_on": "2026-05-01", "ends_on": "2026-09-30"})
    assert response.status_code == 422
    assert error_of(response, "name")
    campaign.refresh_from_db()
    assert campaign.name == "Schoon Heerlerbaan"
    close = reverse("rewards-staff-campaign-close", kwargs={"campaign_id": campaign.pk})
    assert "It cannot be undone" in client.get(close).content.decode()
    client.post(close)
    campaign.refresh_from_db()
    assert campaign.status == "closed"


def test_home_shows_budget_figures(client, campaign, task, bram, reviewer):
    submitted_claim(bram, task)
    staff_login(client, reviewer)
    page = client.get(reverse("rewards-staff-home")).content.decode()
    row = page[page.index(f'id="campaign-{campaign.pk}"') :]
    # Budget 1,000.00, nothing committed or paid yet, all of it remaining.
    assert row.count("1,000.00") >= 2
    assert "1 claim to review" in page


def test_mint_requested_by_finance_and_approved_by_someone_else(client, manager, finance, approver):
    campaign = campaigns.campaign_create(
        actor=manager, name="Groen", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )
    staff_login(client, finance)
    url = reverse("rewards-staff-mint-request", kwargs={"campaign_id": campaign.pk})
    response = client.post(url, {"amount": "-5", "reason": ""})
    assert response.status_code == 422
    assert error_of(response, "amount")
    assert error_of(response, "reason")
    assert not MintRequest.objects.exists()
    client.post(url, {"amount": "2500.50", "reason": "Voorjaar"})
    mint = MintRequest.objects.get()
    assert mint.amount == 250_050
    assert mint.requested_by == finance

    # The requester (also an approver here) cannot approve it.
    make_user("both@example.org", "finance", "approver")
    staff_login(client, finance)
    assert (
        client.post(
            reverse("rewards-staff-mint-approve", kwargs={"request_id": mint.pk})
        ).status_code
        == 403
    )

    staff_login(client, approver)
    page = client.get(reverse("rewards-staff-mints")).content.decode()
    assert "Voorjaar" in page
    client.post(reverse("rewards-staff-mint-approve", kwargs={"request_id": mint.pk}))
    mint.refresh_from_db()
    assert mint.status == MintStatus.APPROVED
    assert mint.decided_by == approver
    assert ledger_selectors.account_balance(account_id=campaign.budget_id) == 250_050


def test_mint_requester_who_is_also_approver_cannot_approve_own(client, manager):
    both = make_user("both@example.org", "finance", "approver")
    campaign = campaigns.campaign_create(
        actor=manager, name="Groen", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1)
    )
    mint = campaigns.mint_request(actor=both, campaign_id=campaign.pk, amount=100, reason="x")
    staff_login(client, both)
    assert (
        "another approver must decide"
        in client.get(reverse("rewards-staff-mints")).content.decode()
    )
    response = client.post(
        reverse("rewards-staff-mint-approve", kwargs={"request_id": mint.pk}), follow=True
    )
    assert "Someone other than the requester" in response.content.decode()
    mint.refresh_from_db()
    assert mint.status == MintStatus.REQUESTED
    assert ledger_selectors.account_balance(account_id=campaign.budget_id) == 0

    # Turning it down needs a reason.
    other = make_user("other@example.org", "approver")
    staff_login(client, other)
    reject = reverse("rewards-staff-mint-reject", kwargs={"request_id": mint.pk})
    response = client.post(reject, {"reason": ""})
    assert response.status_code == 422
    assert error_of(response, "reason")
    client.post(reject, {"reason": "Te veel"})
    mint.refresh_from_db()
    assert mint.status == MintStatus.REJECTED
    assert mint.decision_reason == "Te veel"


# --- tasks ----------------------------------------------------------------------------------


def task_post(**changes):
    now = timezone.localtime()
    data = {
        "title_nl": "Bankje schilderen",
        "description_nl": "Schilder het bankje.",
        "title_de": "Bank streichen",
        "description_de": "",
        "title_en": "",
        "description_en": "",
        "category": "painting",
        "neighbourhood": "",
        "latitude": "50.888100",
        "longitude": "5.979500",
        "reward": "5.00",
        "estimated_minutes": "60",
        "capacity": "3",
        "per_resident_limit": "1",
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "photo_required": "on",
        "materials_where": "Wijkcentrum",
        "materials_when": "Maandag 9-12",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_create_edit_publish_and_close_a_task(client, manager, campaign):
    staff_login(client, manager)
    url = reverse("rewards-staff-task-create", kwargs={"campaign_id": campaign.pk})
    response = client.post(url, task_post(reward="6.00"))
    assert response.status_code == 422
    assert "above the hourly cap" in error_of(response, "reward")
    response = client.post(url, task_post(capacity="1000"))
    assert response.status_code == 422
    assert "budget cannot pay" in error_of(response, "capacity")
    response = client.post(url, task_post(longitude="", title_nl=""))
    assert response.status_code == 422
    assert error_of(response, "latitude")
    assert error_of(response, "title_nl")
    assert not Task.objects.exists()

    response = client.post(url, task_post())
    task = Task.objects.get()
    assert response.url == reverse("rewards-staff-task", kwargs={"task_id": task.pk})
    assert task.status == TaskStatus.DRAFT
    assert (task.reward, task.capacity, task.title_de) == (500, 3, "Bank streichen")
    assert task.photo_required
    assert not task.note_required

    edit = reverse("rewards-staff-task-edit", kwargs={"task_id": task.pk})
    assert 'value="5.00"' in client.get(edit).content.decode()
    client.post(edit, task_post(title_en="Paint the bench", note_required="on"))
    task.refresh_from_db()
    assert task.title_en == "Paint the bench"
    assert task.note_required

    client.post(reverse("rewards-staff-task-publish", kwargs={"task_id": task.pk}))
    task.refresh_from_db()
    assert task.status == TaskStatus.PUBLISHED
    # Publishing twice: a message, nothing else.
    response = client.post(
        reverse("rewards-staff-task-publish", kwargs={"task_id": task.pk}), follow=True
    )
    assert "Only a draft task can be published" in response.content.decode()
    client.post(reverse("rewards-staff-task-close", kwargs={"task_id": task.pk}))
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED


# --- residents ------------------------------------------------------------------------------


def test_tasks_near_me_filters_and_sorts(client, manager, campaign, task, ria):
    far = published_task(
        manager,
        campaign,
        title_nl="Ver weg",
        category="litter",
        latitude="51.500000",
        longitude="5.500000",
    )
    client.force_login(ria)
    url = reverse("rewards-wallet-tasks")
    page = client.get(url).content.decode()
    assert "Bankje schilderen" in page
    assert "Ver weg" in page
    page = client.get(url, {"category": "litter"}).content.decode()
    assert "Ver weg" in page
    assert "Bankje schilderen" not in page
    # From near Ver weg: it comes first, with its distance.
    page = client.get(url, {"lat": "51.5", "lon": "5.5"}).content.decode()
    assert page.index(f'id="task-{far.pk}"') < page.index(f'id="task-{task.pk}"')
    assert "0.0 km away" in page
    assert client.get(url, {"lat": "500", "lon": "5"}).status_code == 400


def test_task_detail_in_the_residents_language(client, task, ria):
    ria.preferred_language = "de"
    ria.save(update_fields=["preferred_language"])
    client.force_login(ria)
    url = reverse("rewards-wallet-task", kwargs={"task_id": task.pk})
    page = client.get(url).content.decode()
    assert "Bank streichen" in page  # German title; the description falls back to Dutch
    assert "Schilder het bankje in het park." in page
    assert "Wijkcentrum" in page
    assert "Maandag 9-12" in page
    assert 'id="places-left">10<' in page


def test_claim_submit_approve_and_paid(
    client, task, ria, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(ria)
    response = client.post(reverse("rewards-wallet-task-claim", kwargs={"task_id": task.pk}))
    claim = Claim.objects.get()
    assert response.url == reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk})
    task.refresh_from_db()
    assert task.slots_taken == 1
    url = response.url
    page = client.get(url).content.decode()
    # Photos from the gallery as well as the camera: no `capture` forcing the camera.
    assert "capture=" not in page
    assert 'accept="image/*"' in page
    assert "multiple" in page

    # No photo, then a text file named .jpg: the service's message on the photos field.
    response = client.post(url, {"note": "Klaar"})
    assert response.status_code == 422
    assert "at least one photo" in error_of(response, "photos")
    fake = io.BytesIO(b"not an image at all")
    fake.name = "bank.jpg"
    response = client.post(url, {"note": "Klaar", "photos": [fake]})
    assert response.status_code == 422
    assert "is not a JPEG, PNG or HEIC image" in error_of(response, "photos")
    assert 'aria-describedby="id_photos_helptext id_photos_error"' in response.content.decode()
    response = client.post(
        url, {"note": "Klaar", "photos": [jpeg()], "latitude": "95", "longitude": "5"}
    )
    assert response.status_code == 422
    assert error_of(response, "latitude")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RESERVED
    assert not Evidence.objects.exists()

    response = client.post(
        url,
        {
            "note": "Klaar",
            "photos": [jpeg(), jpeg((200, 0, 0))],
            "latitude": "50.8881",
            "longitude": "5.9795",
        },
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.evidence.count() == 2
    assert "waiting for a reviewer" in client.get(url).content.decode()

    # The reviewer sees it in the queue with a thumbnail of the first photo, the claim with
    # both photos side by side, and approves: paid.
    staff_login(client, reviewer)
    page = client.get(reverse("rewards-staff-review")).content.decode()
    first = claim.evidence.order_by("pk").first()
    thumbnail = reverse(
        "rewards-staff-evidence-thumbnail", kwargs={"claim_id": claim.pk, "evidence_id": first.pk}
    )
    assert thumbnail in page
    assert client.get(thumbnail)["Content-Type"] == "image/jpeg"
    page = client.get(reverse("rewards-staff-claim", kwargs={"claim_id": claim.pk})).content
    for photo in claim.evidence.all():
        assert (
            reverse(
                "rewards-staff-evidence", kwargs={"claim_id": claim.pk, "evidence_id": photo.pk}
            )
            in page.decode()
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rewards-staff-claim-approve", kwargs={"claim_id": claim.pk}))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.reviewed_by == reviewer
    assert wallet_balance(ria) == 500
    detail = client.get(
        reverse("rewards-staff-claim", kwargs={"claim_id": claim.pk})
    ).content.decode()
    assert "Rob" in detail
    assert "Paid" in detail

    # The resident: paid, and notified.
    client.force_login(ria)
    assert "Paid into your wallet." in client.get(url).content.decode()
    tasks_page = client.get(reverse("rewards-wallet-tasks")).content.decode()
    assert "unread notification" in tasks_page
    page = client.get(reverse("rewards-wallet-notifications")).content.decode()
    assert "You were paid" in page
    unread = Notification.objects.filter(user=ria, read_at__isnull=True)
    first = unread.first()
    client.post(reverse("rewards-wallet-notification-read", kwargs={"notification_id": first.pk}))
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("rewards-wallet-notifications-read-all"))
    assert not unread.exists()


def test_reject_needs_a_reason_and_the_resident_reads_it(client, task, bram, reviewer):
    claim = submitted_claim(bram, task)
    staff_login(client, reviewer)
    url = reverse("rewards-staff-claim-reject", kwargs={"claim_id": claim.pk})
    response = client.post(url, {"reason": "", "next": "claim"})
    assert response.status_code == 422
    assert error_of_reason(response)
    assert len(client.post(url, {"reason": "x" * 501}).context["reason_form"].errors["reason"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED

    client.post(url, {"reason": "Het bankje is nog grijs."})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    client.force_login(bram)
    page = client.get(reverse("rewards-wallet-claims")).content.decode()
    assert "Het bankje is nog grijs." in page
    assert "Not approved." in page


def error_of_reason(response) -> str:
    return " ".join(response.context["reason_form"].errors.get("reason", []))


def test_bulk_approve_and_second_approval(
    client, manager, campaign, ria, bram, reviewer, approver, django_capture_on_commit_callbacks
):
    small = published_task(manager, campaign, title_nl="Klein")
    big = published_task(
        manager, campaign, title_nl="Groot", reward=3000, estimated_minutes=480, capacity=2
    )
    one = submitted_claim(ria, small)
    two = submitted_claim(bram, small)
    large = submitted_claim(ria, big)
    ResidentProfile.objects.filter(user=bram).update(residency_verified_at=timezone.now())

    staff_login(client, reviewer)
    bulk = reverse("rewards-staff-review-bulk-approve")
    response = client.post(bulk, {"claims": ["abc"]}, follow=True)
    assert "Choose the claims to approve." in response.content.decode()
    # First a confirmation with the count and the amount; nothing changes until confirmed.
    confirm = client.post(bulk, {"claims": [one.pk, two.pk, large.pk]}).content.decode()
    assert 'id="confirm-count">3<' in confirm
    total = one.amount + two.amount + large.amount
    assert f'id="confirm-total">{tokens_unit(total)}<' in confirm
    one.refresh_from_db()
    assert one.status == ClaimStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(bulk, {"claims": [one.pk, two.pk, large.pk], "confirmed": "yes"})
    for claim in (one, two, large):
        claim.refresh_from_db()
    assert one.status == two.status == ClaimStatus.PAID
    assert large.status == ClaimStatus.SUBMITTED
    assert large.reviewed_by == reviewer
    page = client.get(
        reverse("rewards-staff-review"), {"stage": "second_approval"}
    ).content.decode()
    assert f'id="claim-{large.pk}"' in page

    # The reviewer cannot give the second approval; an approver can.
    staff_login(client, reviewer)
    response = client.post(
        reverse("rewards-staff-claim-approve", kwargs={"claim_id": large.pk}), follow=True
    )
    assert "by an approver or an administrator" in response.content.decode()
    large.refresh_from_db()
    assert large.status == ClaimStatus.SUBMITTED
    staff_login(client, approver)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rewards-staff-claim-approve", kwargs={"claim_id": large.pk}))
    large.refresh_from_db()
    assert large.status == ClaimStatus.PAID
    assert large.approved_by == approver
    assert wallet_balance(ria) == 500 + 3000


def test_unverified_resident_is_held_and_sees_why(
    client, task, bram, reviewer, approver, django_capture_on_commit_callbacks
):
    claim = submitted_claim(bram, task)
    staff_login(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rewards-staff-claim-approve", kwargs={"claim_id": claim.pk}))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.hold_reason

    staff_login(client, approver)
    assert (
        f'id="claim-{claim.pk}"'
        in client.get(reverse("rewards-staff-review"), {"stage": "held"}).content.decode()
    )
    response = client.post(
        reverse("rewards-staff-claim-release", kwargs={"claim_id": claim.pk}), follow=True
    )
    assert "The hold still applies" in response.content.decode()
    claim.refresh_from_db()
    assert claim.hold_reason
    assert wallet_balance(bram) == 0

    client.force_login(bram)
    page = client.get(
        reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk})
    ).content.decode()
    assert "residency is verified" in page
    assert "on hold" in page


def test_withdraw_frees_the_place(client, task, ria):
    claim = claims.claim_reserve(user=ria, task_id=task.pk)
    client.force_login(ria)
    client.post(reverse("rewards-wallet-claim-withdraw", kwargs={"claim_id": claim.pk}))
    claim.refresh_from_db()
    task.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    assert task.slots_taken == 0
    # Evidence for a withdrawn claim is refused, and nothing is stored.
    response = client.post(
        reverse("rewards-wallet-claim", kwargs={"claim_id": claim.pk}), {"photos": [jpeg()]}
    )
    assert response.status_code == 422
    assert not Evidence.objects.exists()


def test_full_task_refuses_a_claim_with_a_message(client, manager, campaign, ria, bram):
    task = published_task(manager, campaign, capacity=1)
    claims.claim_reserve(user=bram, task_id=task.pk)
    client.force_login(ria)
    response = client.post(
        reverse("rewards-wallet-task-claim", kwargs={"task_id": task.pk}), follow=True
    )
    assert "Every place on this task is taken." in response.content.decode()
    assert Claim.objects.filter(resident=ria).count() == 0
    # A draft task is not there for residents.
    draft = Task.objects.create(
        **{**task_defaults(task), "status": TaskStatus.DRAFT, "slots_taken": 0}
    )
    assert (
        client.get(reverse("rewards-wallet-task", kwargs={"task_id": draft.pk})).status_code == 404
    )


def task_defaults(task):
    return {f.name: getattr(task, f.name) for f in Task._meta.concrete_fields if f.name != "id"}
