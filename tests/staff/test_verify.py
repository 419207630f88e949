"""One-step verification from a claim in the review queue: the reviewer types the code of the
resident's letter (or names the document checked); the residency is verified, audited with the
method, the "not verified" flag disappears and claims held for it are released and paid."""

from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, ResidentProfile, Role
from rewards import review
from rewards.models import ClaimFlag, ClaimStatus, FlagKind
from tests.factories import ClaimFactory, ResidentFactory, TaskFactory, UserFactory


def test_verify_with_the_letter_code_from_the_claim_page(
    client, staff_login, django_capture_on_commit_callbacks
):
    reviewer = UserFactory.create(roles=[Role.REVIEWER])
    other = UserFactory.create(roles=[Role.REVIEWER])
    ria = ResidentFactory.create(verified=False)
    task = TaskFactory.create()
    held = ClaimFactory.create(task=task, resident=ria)
    waiting = ClaimFactory.create(task=task, resident=ria)
    ClaimFlag.objects.create(claim=waiting, kind=FlagKind.UNVERIFIED)
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_approve(staff=other, claim_id=held.pk)
    held.refresh_from_db()
    assert held.hold_reason
    code = services.invite_codes_generate(created_by=other, count=1, valid_days=30, batch="B")[0]

    staff_login(client, reviewer)
    claim_url = reverse("rewards-staff-claim", kwargs={"claim_id": waiting.pk})
    page = client.get(claim_url).content.decode()
    assert 'id="resident-unverified"' in page
    assert 'data-flag="unverified"' in page
    wrong = client.post(
        reverse("staff-resident-verify", kwargs={"user_id": ria.pk}),
        {"code": "AAAA-BBBB-CCCC", "next": claim_url},
        follow=True,
    )
    assert "not valid" in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff-resident-verify", kwargs={"user_id": ria.pk}),
            {"code": code, "next": claim_url},
        )
    assert response["Location"] == claim_url
    assert ResidentProfile.objects.get(user=ria).residency_verified_at is not None
    event = AuditEvent.objects.get(action="resident.residency_checked")
    assert (event.actor, event.detail) == (reviewer, {"method": "letter_code"})
    page = client.get(claim_url).content.decode()
    assert 'id="resident-unverified"' not in page
    assert 'data-flag="unverified"' not in page
    held.refresh_from_db()
    assert held.status == ClaimStatus.PAID
