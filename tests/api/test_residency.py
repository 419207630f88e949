"""Residency: staff generate single-use letter codes and verify residents; a code works once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import InviteCode, ResidentProfile, Role, RoleGrant, User
from accounts.services import (
    invite_codes_generate,
    residency_verify_with_code,
    resident_register,
)
from tests.concurrency import outcomes, run_together
from tests.helpers import staff_login

PASSWORD = "Bench-painter-2026!"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def reviewer(db):
    user = User.objects.create_user("reviewer@example.org", PASSWORD, is_staff=True)
    RoleGrant.objects.create(user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def anna(db):
    return resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")


def new_codes(api, reviewer, count=3, **extra):
    staff = APIClient()
    staff_login(staff, reviewer)
    response = staff.post(
        "/api/v1/staff/invite-codes/",
        {"count": count, "batch": "Letter 2026-11", **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["codes"]


def verified(user):
    return ResidentProfile.objects.get(user=user).residency_verified_at is not None


def test_a_letter_code_verifies_a_resident_once(api, reviewer, anna):
    codes = new_codes(api, reviewer)
    assert len(set(codes)) == 3
    assert InviteCode.objects.count() == 3
    assert not InviteCode.objects.filter(code_hash__in=codes).exists()  # only hashes are kept
    api.force_authenticate(anna)
    response = api.post("/api/v1/wallet/residency/", {"code": codes[0].lower()}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "resident_id": anna.pk,
        "residency_verified": True,
        "method": "invite_code",
    }
    assert api.get("/api/v1/wallet/").json()["residency_verified"] is True

    bram = resident_register(email="bram@example.org", password=PASSWORD, display_name="Bram")
    api.force_authenticate(bram)
    reused = api.post("/api/v1/wallet/residency/", {"code": codes[0]}, format="json")
    assert reused.status_code == 422
    assert reused.json()["errors"]["code"] == ["That code has already been used."]
    assert not verified(bram)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ABCD-EFGH-JKLM", "That code is not valid. Check the letter and try again."),
        ("", None),
        ("x" * 41, None),
    ],
)
def test_a_wrong_code_changes_nothing(api, reviewer, anna, code, message):
    new_codes(api, reviewer, count=1)
    api.force_authenticate(anna)
    response = api.post("/api/v1/wallet/residency/", {"code": code}, format="json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    if message:
        assert response.json()["errors"]["code"] == [message]
    assert not verified(anna)
    assert not InviteCode.objects.filter(used_by__isnull=False).exists()


def test_an_expired_code_is_refused(api, reviewer, anna):
    (code,) = new_codes(api, reviewer, count=1)
    InviteCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    api.force_authenticate(anna)
    response = api.post("/api/v1/wallet/residency/", {"code": code}, format="json")
    assert response.status_code == 422
    assert "expired" in response.json()["title"]
    assert not verified(anna)


def test_a_verified_resident_does_not_use_up_a_code(api, reviewer, anna):
    first, second = new_codes(api, reviewer, count=2)
    api.force_authenticate(anna)
    assert api.post("/api/v1/wallet/residency/", {"code": first}, format="json").status_code == 200
    again = api.post("/api/v1/wallet/residency/", {"code": second}, format="json")
    assert again.status_code == 422
    assert InviteCode.objects.filter(used_by__isnull=False).count() == 1


def test_staff_verify_a_resident_but_not_themselves(api, reviewer, anna):
    staff_login(api, reviewer)
    response = api.post(f"/api/v1/staff/residents/{anna.pk}/verify/")
    assert response.status_code == 200
    profile = ResidentProfile.objects.get(user=anna)
    assert (profile.residency_method, profile.residency_verified_by) == ("staff", reviewer)

    RoleGrant.objects.create(user=anna, role=Role.REVIEWER)
    bram = resident_register(email="bram@example.org", password=PASSWORD, display_name="Bram")
    RoleGrant.objects.create(user=bram, role=Role.REVIEWER)
    staff_login(api, bram)
    own = api.post(f"/api/v1/staff/residents/{bram.pk}/verify/")
    assert own.status_code == 403
    assert not verified(bram)
    missing = api.post("/api/v1/staff/residents/999999/verify/")
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/unknown-resident"


def test_residents_cannot_make_codes_or_verify_anyone(api, anna):
    bram = resident_register(email="bram@example.org", password=PASSWORD, display_name="Bram")
    api.force_authenticate(anna)
    made = api.post("/api/v1/staff/invite-codes/", {"count": 5, "batch": "x"}, format="json")
    assert made.status_code == 403
    assert InviteCode.objects.count() == 0
    verify = api.post(f"/api/v1/staff/residents/{bram.pk}/verify/")
    assert verify.status_code == 403
    assert not verified(bram)


def test_anonymous_callers_are_refused(api, anna):
    assert (
        api.post(
            "/api/v1/staff/invite-codes/", {"count": 1, "batch": "x"}, format="json"
        ).status_code
        == 403
    )
    assert api.post(f"/api/v1/staff/residents/{anna.pk}/verify/").status_code == 403
    assert api.post("/api/v1/wallet/residency/", {"code": "x"}, format="json").status_code == 403
    assert not verified(anna)


@pytest.mark.parametrize(
    "body",
    [
        {"count": 0, "batch": "x"},
        {"count": 5001, "batch": "x"},
        {"count": 2},
        {"count": "many", "batch": "x"},
        {"count": 2, "batch": "x", "valid_days": 0},
    ],
)
def test_bad_batch_requests_make_no_codes(api, reviewer, body):
    staff_login(api, reviewer)
    response = api.post("/api/v1/staff/invite-codes/", body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/validation-error"
    assert InviteCode.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_one_code_used_by_two_residents_at_once_verifies_one():
    staff = User.objects.create_user("reviewer@example.org", PASSWORD)
    RoleGrant.objects.create(user=staff, role=Role.REVIEWER)
    (code,) = invite_codes_generate(created_by=staff, count=1, valid_days=30, batch="race")
    residents = [
        resident_register(email=f"r{n}@example.org", password=PASSWORD, display_name=f"R{n}")
        for n in range(6)
    ]
    results = run_together(6, lambda i: residency_verify_with_code(user=residents[i], code=code))
    assert outcomes(results) == ["ResidencyRefused"] * 5 + ["ok"]
    assert ResidentProfile.objects.filter(residency_verified_at__isnull=False).count() == 1


def test_a_reviewer_cannot_verify_themselves_with_a_code_of_their_own_batch(api, reviewer):
    RoleGrant.objects.create(user=reviewer, role=Role.RESIDENT)
    from ledger import services as ledger_services

    currency = ledger_services.currency_get_or_create(code="HEITJE", name="Heitje")
    wallet = ledger_services.account_open(currency=currency, kind="wallet")
    ResidentProfile.objects.create(user=reviewer, wallet=wallet)
    codes = new_codes(api, reviewer, count=1)
    staff_login(api, reviewer)
    response = api.post("/api/v1/wallet/residency/", {"code": codes[0]}, format="json")
    assert response.status_code == 403
    assert not verified(reviewer)
    assert InviteCode.objects.get().used_by is None
