"""The optional birth year the youth hourly rate reads: given at sign-up (page and API), or set
by staff on the resident (reviewers and administrators, audited); never required."""

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, ResidentProfile
from tests import factories
from tests.helpers import PASSWORD, make_user, staff_login

SIGN_UP = {"password": PASSWORD, "display_name": "Dora", "neighbourhood": "", "language": "en"}


def test_a_birth_year_given_at_sign_up_is_kept_and_may_be_left_out(db):
    client = Client()
    assert 'name="birth_year"' in client.get("/signup/").content.decode()
    client.post("/signup/", SIGN_UP | {"email": "dora@example.org", "birth_year": "2009"})
    client.post("/signup/", SIGN_UP | {"email": "eva@example.org", "birth_year": ""})
    years = dict(ResidentProfile.objects.values_list("user__email", "birth_year"))
    assert years == {"dora@example.org": 2009, "eva@example.org": None}

    future = client.post(
        "/signup/", SIGN_UP | {"email": "fay@example.org", "birth_year": "2099"}
    ).content.decode()
    assert "A birth year is from 1900 to this year, or left empty." in future
    assert not ResidentProfile.objects.filter(user__email="fay@example.org").exists()

    api = APIClient()
    body = {"email": "gus@example.org", "password": PASSWORD, "display_name": "Gus"}
    assert api.post("/api/v1/residents/", body | {"birth_year": 2008}).status_code == 202
    assert ResidentProfile.objects.get(user__email="gus@example.org").birth_year == 2008


def test_staff_set_a_residents_birth_year_audited(client, db):
    anna = factories.ResidentFactory.create(email="anna@example.org")
    reviewer = make_user("reviewer@example.org", "reviewer")
    staff_login(client, reviewer)
    page = client.get("/staff/residents/").content.decode()
    assert f'id="birth-year-{anna.pk}"' in page

    year = timezone.localdate().year - 18
    response = client.post(f"/staff/residents/{anna.pk}/birth-year/", {"birth_year": str(year)})
    assert response.status_code == 302
    assert ResidentProfile.objects.get(user=anna).birth_year == year
    event = AuditEvent.objects.get(action="resident.birth_year_set")
    assert (event.actor, event.detail) == (reviewer, {"before": None, "after": year})

    client.post(f"/staff/residents/{anna.pk}/birth-year/", {"birth_year": ""})
    assert ResidentProfile.objects.get(user=anna).birth_year is None
    assert client.post("/staff/residents/424242/birth-year/", {"birth_year": ""}).status_code == 404


def test_others_may_not_set_a_birth_year(client, db):
    anna = factories.ResidentFactory.create(email="anna@example.org")
    bert = factories.ResidentFactory.create(email="bert@example.org")
    staff_login(client, make_user("finance@example.org", "finance"))
    assert (
        client.post(f"/staff/residents/{anna.pk}/birth-year/", {"birth_year": "2000"}).status_code
        == 403
    )
    client.force_login(bert)
    assert (
        client.post(f"/staff/residents/{anna.pk}/birth-year/", {"birth_year": "2000"}).status_code
        == 403
    )
    assert ResidentProfile.objects.get(user=anna).birth_year is None
    assert not AuditEvent.objects.filter(action="resident.birth_year_set").exists()
