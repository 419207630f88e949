"""Paper vouchers need two people (issue 9, trust boundaries): a task manager asks for a batch,
a different approver approves it, and only the person who asked prints the codes, once. The
batch must fit in what the budget still has available after its published tasks, also when two
approvals run at once. Driven over the API as each role."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from ledger.models import Account, AccountKind, Transfer
from ledger.verify import ledger_verify
from payments.models import Voucher, VoucherBatch
from tests.helpers import make_user, staff_login
from tests.payments.settle_helpers import balance
from tests.rewards.core_helpers import published_task

pytest_plugins = ["tests.payments.settle_fixtures"]

BATCHES = "/api/v1/staff/voucher-batches/"


def client_for(user):
    client = APIClient()
    staff_login(client, user)
    return client


def body(campaign, **changes):
    return {
        "campaign": campaign.pk,
        "name": "Voedselbank",
        "value": 10_000,
        "count": 3,
        "expires_at": (timezone.now() + timedelta(days=60)).isoformat(),
        **changes,
    }


def nothing_moved(campaign, budget=100_000):
    assert balance(campaign.budget_id) == budget
    assert not Account.objects.filter(kind=AccountKind.VOUCHER).exists()
    assert not Transfer.objects.filter(kind="voucher").exists()
    assert not Voucher.objects.exists()


def test_a_task_managers_request_issues_no_codes_and_moves_no_money(manager, campaign):
    response = client_for(manager).post(BATCHES, body(campaign), format="json")
    assert response.status_code == 201, response.json()
    batch = response.json()
    assert batch["status"] == "requested"
    assert batch["requested_by"] == manager.email
    assert (batch["escrow_account"], batch["funding_transfer"], batch["decided_by"]) == (
        None,
        None,
        None,
    )
    assert "vouchers" not in batch
    nothing_moved(campaign)
    assert AuditEvent.objects.filter(action="voucher_batch.request", actor=manager).count() == 1
    # The requester cannot print a sheet before approval either.
    sheet = client_for(manager).post(f"{BATCHES}{batch['id']}/sheet/")
    assert sheet.status_code == 409
    assert sheet["Content-Type"] == "application/problem+json"
    nothing_moved(campaign)


def test_the_requester_cannot_approve_their_own_batch(campaign):
    both = make_user("both@example.org", Role.TASK_MANAGER, Role.APPROVER)
    api = client_for(both)
    batch_id = api.post(BATCHES, body(campaign), format="json").json()["id"]
    for action, data in (("approve", {}), ("reject", {"reason": "Changed my mind"})):
        refused = api.post(f"{BATCHES}{batch_id}/{action}/", data, format="json")
        assert refused.status_code == 403
        assert refused["Content-Type"] == "application/problem+json"
        assert refused.json()["type"] == "/problems/not-allowed"
    batch = VoucherBatch.objects.get(pk=batch_id)
    assert (batch.status, batch.decided_by_id) == ("requested", None)
    nothing_moved(campaign)
    assert not AuditEvent.objects.filter(
        action__in=("voucher_batch.approve", "voucher_batch.reject")
    ).exists()


def test_the_database_refuses_the_requester_as_decider(manager, approver, campaign):
    batch_id = client_for(manager).post(BATCHES, body(campaign), format="json").json()["id"]
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_voucherbatch SET decided_by_id = requested_by_id, "
            "decided_at = now(), status = 'rejected' WHERE id = %s",
            [batch_id],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_voucherbatch (name, budget_id, value, count, expires_at, "
            "status, requested_by_id, requested_at, decided_by_id, decided_at, "
            "decision_reason) VALUES ('x', %s, 100, 1, now() + interval '1 day', 'rejected', "
            "%s, now(), %s, now(), 'no')",
            [campaign.budget_id, manager.pk, manager.pk],
        )
    # Nor is a batch approved without being funded.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_voucherbatch SET status = 'approved', decided_by_id = %s "
            "WHERE id = %s",
            [approver.pk, batch_id],
        )
    assert VoucherBatch.objects.get(pk=batch_id).status == "requested"


def test_an_approver_approves_and_the_requester_prints_the_codes_once(
    manager, approver, campaign, shop, cashier
):
    batch_id = client_for(manager).post(BATCHES, body(campaign), format="json").json()["id"]
    approver_api = client_for(approver)
    queue = approver_api.get(BATCHES, {"status": "requested"}).json()
    assert [b["id"] for b in queue["results"]] == [batch_id]

    approved = approver_api.post(f"{BATCHES}{batch_id}/approve/")
    assert approved.status_code == 200, approved.json()
    batch = approved.json()
    assert (batch["status"], batch["decided_by"]) == ("approved", approver.email)
    assert balance(campaign.budget_id) == 100_000 - 30_000
    assert balance(batch["escrow_account"]) == 30_000
    funding = Transfer.objects.get(pk=batch["funding_transfer"])
    assert funding.idempotency_key == f"voucherbatch:{batch_id}"
    assert approver_api.get(BATCHES, {"status": "requested"}).json()["count"] == 0
    again = approver_api.post(f"{BATCHES}{batch_id}/approve/")
    assert again.status_code == 409
    assert balance(campaign.budget_id) == 100_000 - 30_000

    # The approver does not get the codes; another task manager does not either.
    assert approver_api.post(f"{BATCHES}{batch_id}/sheet/").status_code == 403
    colleague = make_user("colleague@example.org", Role.TASK_MANAGER)
    assert client_for(colleague).post(f"{BATCHES}{batch_id}/sheet/").status_code == 403
    assert not Voucher.objects.exists()
    assert not AuditEvent.objects.filter(action="voucher_batch.sheet").exists()

    manager_api = client_for(manager)
    sheet = manager_api.post(f"{BATCHES}{batch_id}/sheet/")
    assert sheet.status_code == 201, sheet.json()
    assert sheet["Cache-Control"] == "no-store"
    codes = [v["code"] for v in sheet.json()["vouchers"]]
    assert len(set(codes)) == 3
    assert Voucher.objects.filter(batch_id=batch_id).count() == 3
    event = AuditEvent.objects.get(action="voucher_batch.sheet")
    assert (event.actor, event.detail["count"]) == (manager, 3)

    second = manager_api.post(f"{BATCHES}{batch_id}/sheet/")
    assert second.status_code == 409
    assert second["Content-Type"] == "application/problem+json"
    assert "vouchers" not in second.json()
    assert AuditEvent.objects.filter(action="voucher_batch.sheet").count() == 1
    assert Voucher.objects.count() == 3

    # The printed codes are real money at the till.
    till = APIClient()
    till.force_login(cashier)
    paid = till.post(f"/api/v1/shops/{shop.pk}/vouchers/redeem/", {"code": codes[0]})
    assert paid.status_code == 201
    assert balance(shop.account_id) == 10_000
    assert ledger_verify().ok


def test_a_rejected_batch_moves_nothing_and_cannot_be_approved(manager, approver, campaign):
    batch_id = client_for(manager).post(BATCHES, body(campaign), format="json").json()["id"]
    api = client_for(approver)
    for bad in ({}, {"reason": ""}, {"reason": "x" * 501}):
        assert api.post(f"{BATCHES}{batch_id}/reject/", bad, format="json").status_code == 400
    rejected = api.post(f"{BATCHES}{batch_id}/reject/", {"reason": "Too many"}, format="json")
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_reason"]) == (
        "rejected",
        "Too many",
    )
    assert api.post(f"{BATCHES}{batch_id}/approve/").status_code == 409
    assert client_for(manager).post(f"{BATCHES}{batch_id}/sheet/").status_code == 409
    assert api.post(f"{BATCHES}999999/approve/").status_code == 404
    nothing_moved(campaign)


def test_a_batch_larger_than_what_is_available_after_published_tasks_is_refused(
    manager, approver, campaign
):
    # A published task may still cost 5.00 x 100 places: 50,000 of the 100,000 are committed.
    published_task(manager, campaign, capacity=100)
    api = client_for(manager)
    refused = api.post(BATCHES, body(campaign, count=6), format="json")  # 60,000
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "/problems/voucher-refused"
    message = problem["errors"]["count"][0]
    assert "it needs 600.00 tokens" in message
    assert "only 500.00 are free" in message
    assert not VoucherBatch.objects.exists()
    nothing_moved(campaign)

    # A request that fitted when asked is checked again when approved.
    batch_id = api.post(BATCHES, body(campaign, count=4), format="json").json()["id"]
    published_task(manager, campaign, capacity=40)  # 20,000 more committed: 30,000 free
    late = client_for(approver).post(f"{BATCHES}{batch_id}/approve/")
    assert late.status_code == 422
    assert late.json()["type"] == "/problems/voucher-refused"
    assert VoucherBatch.objects.get(pk=batch_id).status == "requested"
    nothing_moved(campaign)
    assert (
        client_for(manager).post(BATCHES, body(campaign, count=3), format="json").status_code == 201
    )


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_fund_at_most_what_is_available(manager, approver, campaign):
    published_task(manager, campaign, capacity=100)  # 50,000 free
    api = client_for(manager)
    ids = [
        api.post(BATCHES, body(campaign, name=f"Batch {n}", count=3), format="json").json()["id"]
        for n in (1, 2)
    ]  # 30,000 each: both fit alone, not together
    second_approver = make_user("approver-2@example.org", Role.APPROVER)
    clients = [client_for(approver), client_for(second_approver)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve(client, batch_id):
        try:
            barrier.wait()
            statuses.append(client.post(f"{BATCHES}{batch_id}/approve/").status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=pair) for pair in zip(clients, ids, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 422]
    assert VoucherBatch.objects.filter(status="approved").count() == 1
    assert balance(campaign.budget_id) == 100_000 - 30_000
    escrows = Account.objects.filter(kind=AccountKind.VOUCHER)
    assert [balance(a.pk) for a in escrows] == [30_000]
    assert ledger_verify().ok
