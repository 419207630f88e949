"""A claim's status moves only as rewards.transitions allows: every forbidden move is refused and
changes nothing (one claim or a batch), and every move the services make is in the table, which
allows nothing else."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from rewards import claims, review
from rewards.errors import ClaimTransitionRefused
from rewards.models import Claim, ClaimStatus, Task
from rewards.payouts import claim_pay
from rewards.privacy import claims_erase
from rewards.transitions import CLAIM_TRANSITIONS, claim_transition, claims_transition
from tests.helpers import make_user
from tests.rewards import review_fixtures as fx

S = ClaimStatus
ALLOWED = {(source, target) for source, targets in CLAIM_TRANSITIONS.items() for target in targets}
FORBIDDEN = sorted({(s, t) for s in S.values for t in S.values} - ALLOWED)


@pytest.fixture
def board(db):
    manager = make_user("manager@example.org", "task_manager")
    task = fx.task(fx.campaign(manager), manager)
    Task.objects.filter(pk=task.pk).update(photo_required=False)
    return {
        "task": Task.objects.get(pk=task.pk),
        "anna": fx.resident("anna@example.org"),
        "reviewer": make_user("reviewer@example.org", "reviewer"),
    }


def claim_in(board, status: str) -> Claim:
    if status == S.PAID:  # a paid claim has its payout transfer
        claim = claim_in(board, S.APPROVED)
        claim_pay(claim_id=claim.pk)
        return Claim.objects.get(pk=claim.pk)
    claim = fx.submitted(board["task"], board["anna"])
    Claim.objects.filter(pk=claim.pk).update(status=status, reviewed_by=board["reviewer"])
    return Claim.objects.get(pk=claim.pk)


def locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().get(pk=claim.pk)


def test_every_forbidden_move_is_refused_and_changes_nothing(board):
    claims_by_status = {status: claim_in(board, status) for status in S.values}
    for source, target in FORBIDDEN:
        claim = claims_by_status[source]
        with transaction.atomic():
            mine = locked(claim)
            mine.closed_at = timezone.now()
            with pytest.raises(ClaimTransitionRefused):
                claim_transition(claim=mine, to=target, fields=("closed_at",))
        assert mine.status == source, (source, target)
        assert Claim.objects.filter(pk=claim.pk, status=source, closed_at=None).exists()


def test_a_batch_with_one_forbidden_claim_moves_none(board):
    reserved = [claim_in(board, S.RESERVED) for _ in range(3)]
    paid = claim_in(board, S.PAID)
    with transaction.atomic():
        batch = [locked(c) for c in [*reserved, paid]]
        with pytest.raises(ClaimTransitionRefused):
            claims_transition(claims=batch, to=S.EXPIRED)
    assert list(Claim.objects.order_by("pk").values_list("status", flat=True)) == [
        S.RESERVED,
        S.RESERVED,
        S.RESERVED,
        S.PAID,
    ]


def test_a_claim_changed_meanwhile_is_not_overwritten_nor_the_rest_of_its_batch(board):
    fresh, changed = claim_in(board, S.SUBMITTED), claim_in(board, S.SUBMITTED)
    batch = list(Claim.objects.filter(pk__in=[fresh.pk, changed.pk]).order_by("pk"))
    Claim.objects.filter(pk=changed.pk).update(status=S.WITHDRAWN)
    with pytest.raises(ClaimTransitionRefused):
        claims_transition(claims=batch, to=S.APPROVED)
    assert [claim.status for claim in batch] == [S.SUBMITTED, S.SUBMITTED]
    assert Claim.objects.get(pk=fresh.pk).status == S.SUBMITTED
    assert Claim.objects.get(pk=changed.pk).status == S.WITHDRAWN


def _submit(board, claim):
    Claim.objects.filter(pk=claim.pk).update(reviewed_by=None, submitted_at=None)
    claims.claim_submit(user=board["anna"], claim_id=claim.pk, note="Done.")


def _withdraw(board, claim):
    claims.claim_withdraw(user=board["anna"], claim_id=claim.pk)


def _expire(board, claim):
    claims.claims_expire(now=timezone.now() + timedelta(days=30))


def _approve(board, claim):
    Claim.objects.filter(pk=claim.pk).update(reviewed_by=None)
    review.claim_approve(staff=board["reviewer"], claim_id=claim.pk)


def _reject(board, claim):
    Claim.objects.filter(pk=claim.pk).update(reviewed_by=None)
    review.claim_reject(staff=board["reviewer"], claim_id=claim.pk, reason="No photo of it.")


def _pay(board, claim):
    claim_pay(claim_id=claim.pk)


def _erase(board, claim):
    with transaction.atomic():
        claims_erase(user_id=board["anna"].pk)


# Every move a service makes: (service, from, to).
SERVICE_MOVES = [
    (_submit, S.RESERVED, S.SUBMITTED),
    (_withdraw, S.RESERVED, S.WITHDRAWN),
    (_expire, S.RESERVED, S.EXPIRED),
    (_approve, S.SUBMITTED, S.APPROVED),
    (_reject, S.SUBMITTED, S.REJECTED),
    (_withdraw, S.SUBMITTED, S.WITHDRAWN),
    (_pay, S.APPROVED, S.PAID),
    (_erase, S.APPROVED, S.WITHDRAWN),
]


def test_the_table_allows_exactly_the_moves_the_services_make():
    assert {(source, target) for _service, source, target in SERVICE_MOVES} == ALLOWED


@pytest.mark.parametrize(
    ("service", "source", "target"),
    SERVICE_MOVES,
    ids=[f"{service.__name__[1:]}:{s}->{t}" for service, s, t in SERVICE_MOVES],
)
def test_each_service_move_goes_through(board, service, source, target):
    claim = claim_in(board, source)
    service(board, claim)
    assert Claim.objects.get(pk=claim.pk).status == target
