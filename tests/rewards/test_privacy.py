"""Rewards and privacy: deleting an account ends the person's open claims and erases what they
submitted (notes, locations, photos, files included) without breaking the ledger or blocking
their campaign; "download my data" holds their claims and nothing of anyone else's."""

import io
import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Sum
from PIL import Image

from accounts import privacy
from accounts.errors import DeletionRefused
from accounts.models import Notification, User
from ledger import services as ledger_services
from ledger.models import Account, Transfer
from ledger.verify import ledger_verify
from rewards import campaigns, claims, review
from rewards.models import (
    CampaignStatus,
    Claim,
    ClaimDecision,
    ClaimStatus,
    DecisionKind,
    Evidence,
    Task,
)
from rewards.payouts import claim_pay, payouts_sweep
from rewards.privacy import ENDED_ACCOUNT_DELETED
from rewards.review import ReviewConflict
from tests.helpers import PASSWORD, make_user
from tests.rewards import review_fixtures as fx
from tests.rewards.row_lock import row_locked, wait_until

pytest_plugins = ["tests.rewards.core_fixtures"]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def reviewer(db):
    return make_user("reviewer@example.org", "reviewer")


@pytest.fixture
def board(db, manager, evidence_dir):
    """One campaign, one task open to several claims per person."""
    campaign = fx.campaign(manager)
    task = fx.task(campaign, manager, capacity=10)
    Task.objects.filter(pk=task.pk).update(per_resident_limit=5)
    task.refresh_from_db()
    return campaign, task


def submit(user, task, note, lat="50.888000", lon="5.979000"):
    # This person's earlier evidence was sent on earlier days: the hourly cap would refuse an
    # hour's work sent twice within minutes.
    Claim.objects.filter(resident=user, submitted_at__isnull=False).update(
        submitted_at=F("submitted_at") - timedelta(days=1)
    )
    claim = claims.claim_reserve(user=user, task_id=task.pk)
    return claims.claim_submit(
        user=user,
        claim_id=claim.pk,
        photos=[io.BytesIO(jpeg())],
        note=note,
        latitude=lat,
        longitude=lon,
    )


@pytest.fixture
def four_claims(board, reviewer, django_capture_on_commit_callbacks):
    """Anna: a reserved, a submitted (with a photo), an approved-unpaid and a paid claim."""
    _campaign, task = board
    anna = fx.resident("anna@example.org")
    paid = submit(anna, task, "Painted it green.")
    with django_capture_on_commit_callbacks(execute=True):  # the payout runs eagerly
        review.claim_approve(staff=reviewer, claim_id=paid.pk)
    approved = submit(anna, task, "Painted the legs too.")
    review.claim_approve(staff=reviewer, claim_id=approved.pk)  # payout queued, never run
    submitted = submit(anna, task, "Near the playground, by the oak.")
    reserved = claims.claim_reserve(user=anna, task_id=task.pk)
    for claim in (paid, approved, submitted, reserved):
        claim.refresh_from_db()
    assert [c.status for c in (paid, approved, submitted, reserved)] == [
        ClaimStatus.PAID,
        ClaimStatus.APPROVED,
        ClaimStatus.SUBMITTED,
        ClaimStatus.RESERVED,
    ]
    assert approved.hold_reason == ""
    return anna, {"paid": paid, "approved": approved, "submitted": submitted, "reserved": reserved}


def files_in(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_deleting_ends_open_claims_and_erases_what_was_submitted(
    board, four_claims, manager, reviewer, evidence_dir, django_capture_on_commit_callbacks
):
    campaign, task = board
    anna, mine = four_claims
    bram = fx.resident("bram@example.org")
    theirs = submit(bram, task, "Bram swept the square.")
    assert len(files_in(evidence_dir)) == 4  # a photo for each claim submitted (3 + 1)
    bram_file = Evidence.objects.get(claim=theirs).file.name
    task.refresh_from_db()
    assert task.slots_taken == 5
    paid_transfer = mine["paid"].payout_transfer_id
    transfers = Transfer.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        privacy.person_erase(user=anna, password=PASSWORD, confirm=True)

    for name in ("reserved", "submitted", "approved", "paid"):
        mine[name].refresh_from_db()
    # The open and the unpaid claims ended; their slots are free again.
    assert mine["reserved"].status == ClaimStatus.WITHDRAWN
    assert mine["submitted"].status == ClaimStatus.WITHDRAWN
    approved = mine["approved"]
    assert (approved.status, approved.hold_reason) == (ClaimStatus.WITHDRAWN, "")
    assert approved.closed_at is not None
    ended = ClaimDecision.objects.filter(claim=approved).last()
    assert (ended.kind, ended.actor, ended.reason) == (
        DecisionKind.REJECT,
        None,
        ENDED_ACCOUNT_DELETED,
    )
    task.refresh_from_db()
    assert task.slots_taken == 2  # anna's paid claim and bram's
    # The paid claim stays for the ledger, without what anna wrote or where she was.
    paid = mine["paid"]
    assert (paid.status, paid.payout_transfer_id) == (ClaimStatus.PAID, paid_transfer)
    for claim in mine.values():
        assert (claim.note, claim.latitude, claim.longitude) == ("", None, None)
    # No photo of anna's is left, row or file; bram's is untouched.
    assert not Evidence.objects.filter(claim__resident=anna).exists()
    assert files_in(evidence_dir) == [evidence_dir / bram_file]
    theirs.refresh_from_db()
    assert (theirs.status, theirs.note) == (ClaimStatus.SUBMITTED, "Bram swept the square.")
    assert theirs.latitude == Decimal("50.888000")
    assert not Notification.objects.filter(user=anna).exists()

    # Nothing of anna's can be approved or paid any more.
    with pytest.raises(ReviewConflict):
        review.claim_approve(staff=reviewer, claim_id=mine["submitted"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert payouts_sweep() == 0
    approved.refresh_from_db()
    assert approved.status == ClaimStatus.WITHDRAWN
    # The ledger is whole: only the donation of anna's wallet was added.
    assert Transfer.objects.count() == transfers + 1
    assert ledger_verify().ok
    assert Account.objects.aggregate(s=Sum("balance"))["s"] == 0

    # The campaign can close once bram's claim is decided.
    review.claim_reject(staff=reviewer, claim_id=theirs.pk, reason="Not the right square.")
    closed = campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    assert closed.status == CampaignStatus.CLOSED
    assert ledger_verify().ok


def test_an_approved_claim_held_for_a_closed_wallet_no_longer_blocks_the_campaign(
    board, manager, reviewer, django_capture_on_commit_callbacks
):
    """The reported case: approved but unpaid at deletion. Before, the payout held it (the
    wallet was closed) and releasing held it again, so the campaign could never close."""
    campaign, task = board
    anna = fx.resident("anna@example.org")
    claim = submit(anna, task, "Done.")
    review.claim_approve(staff=reviewer, claim_id=claim.pk)
    privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    with django_capture_on_commit_callbacks(execute=True):
        payouts_sweep()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    assert claim.payout_transfer_id is None
    closed = campaigns.campaign_close(actor=manager, campaign_id=campaign.pk)
    assert closed.status == CampaignStatus.CLOSED
    assert ledger_verify().ok


def test_a_deletion_that_is_refused_keeps_claims_and_photos(
    board, four_claims, evidence_dir, django_capture_on_commit_callbacks
):
    anna, _mine = four_claims
    _campaign, task = board
    ledger_services.account_freeze(account_id=anna.resident.wallet_id)
    before = list(
        Claim.objects.filter(resident=anna)
        .order_by("pk")
        .values_list("status", "note", "latitude", "hold_reason")
    )
    files = files_in(evidence_dir)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DeletionRefused):
        privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    after = list(
        Claim.objects.filter(resident=anna)
        .order_by("pk")
        .values_list("status", "note", "latitude", "hold_reason")
    )
    assert after == before
    assert Evidence.objects.filter(claim__resident=anna).count() == 3
    assert files_in(evidence_dir) == files
    task.refresh_from_db()
    assert task.slots_taken == 4


def test_my_data_holds_my_claims_and_nothing_of_others(board, four_claims, reviewer):
    _campaign, task = board
    anna, mine = four_claims
    bram = fx.resident("bram@example.org")
    theirs = submit(bram, task, "Bram swept the square.", lat="51.000001", lon="6.000002")
    review.claim_reject(staff=reviewer, claim_id=theirs.pk, reason="Bram's photo is blurred.")
    review.claim_reject(staff=reviewer, claim_id=mine["submitted"].pk, reason="Wrong bench.")

    data = privacy.data_export(user=anna)

    exported = {c["id"]: c for c in data["claims"]}
    assert set(exported) == {c.pk for c in mine.values()}
    paid = exported[mine["paid"].pk]
    assert paid["task"] == "Paint a bench"  # in anna's language
    assert (paid["status"], paid["amount"]) == ("paid", 500)
    assert paid["note"] == "Painted it green."
    assert (paid["latitude"], paid["longitude"]) == ("50.888000", "5.979000")
    assert None not in (paid["reserved_at"], paid["submitted_at"], paid["paid_at"])
    assert [d["kind"] for d in paid["decisions"]] == ["approve", "pay"]
    photo = Evidence.objects.get(claim=mine["paid"])
    assert paid["evidence"] == [
        {
            "id": photo.pk,
            "content_type": "image/jpeg",
            "width": photo.width,
            "height": photo.height,
            "size": photo.size,
            "created_at": photo.created_at.isoformat(),
        }
    ]
    rejected = exported[mine["submitted"].pk]
    assert rejected["status"] == "rejected"
    assert rejected["decisions"][-1]["reason"] == "Wrong bench."
    reserved = exported[mine["reserved"].pk]
    assert (reserved["submitted_at"], reserved["evidence"], reserved["note"]) == (None, [], "")
    # Notifications of the decisions (approved, paid, rejected) are in the export too.
    assert {n["title"] for n in data["notifications"]} >= {
        "You were paid",
        "Your claim was not approved",
    }
    text = json.dumps(data)
    assert "Bram" not in text
    assert "51.000001" not in text
    assert "reviewer@example.org" not in text  # decisions say what, not which staff member
    assert "actor" not in json.dumps(data["claims"])


def test_after_deletion_my_claims_are_exported_without_what_i_wrote(board, four_claims):
    anna, _mine = four_claims
    privacy.person_erase(user=anna, password=PASSWORD, confirm=True)
    anna.refresh_from_db()
    exported = privacy.data_export(user=anna)["claims"]
    assert {c["status"] for c in exported} == {"paid", "withdrawn"}
    assert all((c["note"], c["latitude"], c["evidence"]) == ("", None, []) for c in exported)


@pytest.mark.django_db(transaction=True)
def test_a_deletion_during_a_payout_waits_for_it_and_donates_what_it_paid(manager, reviewer):
    """The payout holds the claim's lock while it posts; the deletion waits for it, then finds
    the claim paid and the tokens in the wallet, and donates them. Had the deletion come first,
    the claim would be withdrawn and never paid. Either way nothing is lost and nothing is paid
    into a closed wallet. The test holds Anna's user row: the payout, with everything written
    and the claim locked, waits at its COMMIT (the deferred key check of her notification);
    the deletion queues behind, then the row is let go."""
    campaign = fx.campaign(manager)
    task = fx.task(campaign, manager)
    anna = fx.resident("anna@example.org")
    claim = fx.submitted(task, anna)
    # Approved, its payout not yet run (claim_approve would pay it eagerly on commit here).
    Claim.objects.filter(pk=claim.pk).update(
        status=ClaimStatus.APPROVED, reviewed_by=reviewer, reviewed_at=claim.submitted_at
    )
    outcome = []

    def in_thread(work):
        def run():
            try:
                work()
            finally:
                connection.close()

        return threading.Thread(target=run)

    payer = in_thread(lambda: outcome.append(claim_pay(claim_id=claim.pk)))
    deleter = in_thread(lambda: privacy.person_erase(user=anna, password=PASSWORD, confirm=True))
    with row_locked(User._meta.db_table, anna.pk) as held:
        payer.start()

        def payout_committing():
            """the payout, all written, waits at COMMIT"""
            return held.waiting() == ["COMMIT"]

        wait_until(payout_committing)
        deleter.start()
        wait_until(lambda: len(held.waiting()) == 2)
    payer.join()
    deleter.join()

    claim.refresh_from_db()
    wallet = Account.objects.get(pk=anna.resident.wallet_id)
    assert (wallet.balance, wallet.status) == (0, "closed")
    fund = Account.objects.filter(kind="fund").first()
    donated = fund.balance if fund else 0
    paid_total = (
        Claim.objects.filter(resident=anna, status=ClaimStatus.PAID).aggregate(s=Sum("amount"))["s"]
        or 0
    )
    assert donated == paid_total
    assert claim.status in (ClaimStatus.PAID, ClaimStatus.WITHDRAWN)
    # The payout held the claim's lock first: the case that once deadlocked.
    assert outcome == ["paid"]
    assert donated == 500
    assert (claim.note, claim.latitude) == ("", None)
    assert ledger_verify().ok
