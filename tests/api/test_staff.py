"""The staff API: audit log, neighbourhoods, residents, staff members; and the public list of
neighbourhoods. Wrong roles and bad input are refused with problem+json and nothing changed."""

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Neighbourhood, ResidentProfile, RoleGrant, User
from accounts.services import resident_register
from accounts.tokens import api_token_create
from tests.concurrency import outcomes, run_together
from tests.helpers import PASSWORD, audit_rows, make_user, staff_login


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def client_for(user):
    client = APIClient()
    staff_login(client, user)
    return client


@pytest.fixture
def admin(db):
    return make_user("admin@example.org", "admin", display_name="Ada")


@pytest.fixture
def manager(db):
    return make_user("tm@example.org", "task_manager")


@pytest.fixture
def reviewer(db):
    return make_user("rob@example.org", "reviewer")


def snapshot():
    return (
        list(Neighbourhood.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values("pk", "email", "display_name")),
        list(RoleGrant.objects.order_by("pk").values("user_id", "role")),
        AuditEvent.objects.count(),
    )


def assert_problem(response, status, type_=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    if type_:
        assert response.json()["type"] == f"/problems/{type_}"


def test_anyone_reads_the_neighbourhoods(db):
    Neighbourhood.objects.create(name="Proefwijk")
    response = APIClient().get("/api/v1/neighbourhoods/")
    assert response.status_code == 200
    assert "Proefwijk" in [n["name"] for n in response.json()]


def test_neighbourhoods_are_added_and_renamed(manager):
    api = client_for(manager)
    made = api.post("/api/v1/staff/neighbourhoods/", {"name": "Proefwijk"}, format="json")
    assert made.status_code == 201
    pk = made.json()["id"]
    assert any(n["id"] == pk for n in api.get("/api/v1/staff/neighbourhoods/").json())
    renamed = api.patch(
        f"/api/v1/staff/neighbourhoods/{pk}/", {"name": "Proefwijk-Oost"}, format="json"
    )
    assert renamed.status_code == 200
    assert Neighbourhood.objects.get(pk=pk).name == "Proefwijk-Oost"
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor")) == [
        ("neighbourhood.create", manager.pk),
        ("neighbourhood.rename", manager.pk),
    ]


def test_bad_neighbourhoods_change_nothing(manager):
    api = client_for(manager)
    pk = Neighbourhood.objects.create(name="Proefwijk").pk
    before = snapshot()
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": ["a"]}, {"name": {"x": 1}}):
        assert_problem(
            api.post("/api/v1/staff/neighbourhoods/", body, format="json"), 400, "validation-error"
        )
        assert_problem(api.patch(f"/api/v1/staff/neighbourhoods/{pk}/", body, format="json"), 400)
    assert_problem(
        api.post("/api/v1/staff/neighbourhoods/", {"name": "PROEFWIJK"}, format="json"),
        422,
        "staff-refused",
    )
    assert_problem(
        api.patch("/api/v1/staff/neighbourhoods/999999/", {"name": "Nieuw"}, format="json"), 404
    )
    assert_problem(
        api.post("/api/v1/staff/neighbourhoods/", "not json", content_type="application/json"), 400
    )
    assert snapshot() == before


def test_wrong_roles_are_refused(reviewer, manager, db):
    resident = make_user("anna@example.org", "resident")
    pk = Neighbourhood.objects.create(name="Proefwijk").pk
    before = snapshot()
    calls = [
        (reviewer, "post", "/api/v1/staff/neighbourhoods/", {"name": "X"}),
        (reviewer, "patch", f"/api/v1/staff/neighbourhoods/{pk}/", {"name": "X"}),
        (manager, "get", "/api/v1/staff/residents/", None),
        (manager, "get", "/api/v1/staff/audit-log/", None),
        (reviewer, "get", "/api/v1/staff/audit-log/", None),
        (
            reviewer,
            "post",
            "/api/v1/staff/members/",
            {"email": "x@example.org", "display_name": "X", "roles": ["admin"]},
        ),
        (manager, "put", f"/api/v1/staff/members/{reviewer.pk}/roles/", {"roles": ["admin"]}),
        (resident, "get", "/api/v1/staff/residents/", None),
    ]
    for user, method, path, body in calls:
        api = APIClient()
        if user is resident:
            api.force_login(user)
        else:
            staff_login(api, user)
        assert_problem(getattr(api, method)(path, body, format="json"), 403, "not-allowed")
    assert snapshot() == before


def test_residents_are_listed_in_the_order_they_signed_up_and_filter(reviewer):
    bert = resident_register(email="bert@example.org", password=PASSWORD, display_name="Bert")
    anna = resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")
    ResidentProfile.objects.filter(user=anna).update(residency_verified_at="2026-01-01T00:00Z")
    api = client_for(reviewer)
    rows = api.get("/api/v1/staff/residents/").json()["results"]
    assert [r["email"] for r in rows] == ["bert@example.org", "anna@example.org"]
    waiting = api.get("/api/v1/staff/residents/?verified=false").json()["results"]
    assert [r["id"] for r in waiting] == [bert.pk]
    only = api.get("/api/v1/staff/residents/?verified=true").json()["results"]
    assert [r["id"] for r in only] == [anna.pk]
    found = api.get("/api/v1/staff/residents/?q=BER").json()["results"]
    assert [r["id"] for r in found] == [bert.pk]
    assert_problem(api.get("/api/v1/staff/residents/?verified=perhaps"), 400)
    assert_problem(api.get("/api/v1/staff/residents/?q=" + "x" * 101), 400)


def test_the_audit_log_filters(admin, manager):
    client_for(manager).post("/api/v1/staff/neighbourhoods/", {"name": "Proefwijk"}, format="json")
    make_user("other@example.org", "admin")
    api = client_for(admin)
    rows = api.get("/api/v1/staff/audit-log/").json()["results"]
    assert [(r["action"], r["actor"]) for r in rows] == [("neighbourhood.create", "tm@example.org")]
    assert api.get("/api/v1/staff/audit-log/?actor=nobody@example.org").json()["results"] == []
    assert len(api.get("/api/v1/staff/audit-log/?action=neighbourhood.").json()["results"]) == 1
    assert api.get("/api/v1/staff/audit-log/?action=shop.approve").json()["results"] == []
    assert_problem(api.get("/api/v1/staff/audit-log/?action=" + "x" * 65), 400)


def test_an_admin_adds_a_staff_member(admin, django_capture_on_commit_callbacks):
    api = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/staff/members/",
            {
                "email": "Nina@Example.org",
                "display_name": "Nina",
                "roles": ["reviewer"],
                "language": "en",
            },
            format="json",
            REMOTE_ADDR="192.0.2.5",
        )
    assert response.status_code == 201
    assert response.json()["roles"] == ["reviewer"]
    nina = User.objects.get(email="nina@example.org")
    assert list(nina.role_grants.values_list("role", flat=True)) == ["reviewer"]
    assert "/staff/welcome/" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="staff.create")
    assert (event.actor, event.ip_address, event.target_id) == (admin, "192.0.2.5", str(nina.pk))


def test_bad_staff_members_change_nothing(admin):
    make_user("taken@example.org", "resident")
    api = client_for(admin)
    good = {"email": "x@example.org", "display_name": "X", "roles": ["reviewer"]}
    before = snapshot()
    for body, status in [
        ({}, 400),
        ({**good, "email": "nope"}, 400),
        ({**good, "email": "a" * 250 + "@example.org"}, 400),
        ({**good, "display_name": "x" * 101}, 400),
        ({**good, "display_name": ["X"]}, 400),
        ({**good, "roles": []}, 400),
        ({**good, "roles": "reviewer"}, 400),
        ({**good, "roles": ["resident"]}, 400),
        ({**good, "roles": ["admin"] * 6}, 400),
        ({**good, "language": "fr"}, 400),
        ({**good, "email": "TAKEN@example.org"}, 422),
        ({**good, "display_name": "   "}, 400),
    ]:
        assert_problem(api.post("/api/v1/staff/members/", body, format="json"), status)
    assert snapshot() == before
    assert len(mail.outbox) == 0


def test_roles_are_set_and_nobody_drops_their_own_admin(admin, reviewer):
    api = client_for(admin)
    response = api.put(
        f"/api/v1/staff/members/{reviewer.pk}/roles/",
        {"roles": ["approver", "finance"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["approver", "finance"]
    assert set(reviewer.role_grants.values_list("role", flat=True)) == {"approver", "finance"}
    before = snapshot()
    assert_problem(
        api.put(f"/api/v1/staff/members/{admin.pk}/roles/", {"roles": []}, format="json"),
        422,
        "staff-refused",
    )
    assert_problem(
        api.put(f"/api/v1/staff/members/{reviewer.pk}/roles/", {"roles": ["boss"]}, format="json"),
        400,
    )
    assert_problem(api.put(f"/api/v1/staff/members/{reviewer.pk}/roles/", {}, format="json"), 400)
    assert_problem(
        api.put("/api/v1/staff/members/999999/roles/", {"roles": ["finance"]}, format="json"), 404
    )
    assert snapshot() == before


def test_staff_without_a_verified_session_are_refused_everywhere(admin):
    """The right role is not enough: the session must have passed TOTP, and a token never
    counts as such a session."""
    pk = Neighbourhood.objects.create(name="Proefwijk").pk
    before = snapshot()
    calls = [
        ("get", "/api/v1/staff/audit-log/", None),
        ("get", "/api/v1/staff/residents/", None),
        ("get", "/api/v1/staff/neighbourhoods/", None),
        ("post", "/api/v1/staff/neighbourhoods/", {"name": "Nieuwe wijk"}),
        ("patch", f"/api/v1/staff/neighbourhoods/{pk}/", {"name": "Andere naam"}),
        (
            "post",
            "/api/v1/staff/members/",
            {"email": "x@example.org", "display_name": "X", "roles": ["reviewer"]},
        ),
        ("put", f"/api/v1/staff/members/{admin.pk}/roles/", {"roles": ["reviewer"]}),
    ]
    session = APIClient()
    session.force_login(admin)  # signed in, but no TOTP in this session
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=admin).key}")
    for api in (session, with_token):
        for method, path, body in calls:
            response = getattr(api, method)(path, body, format="json")
            assert_problem(response, 403, "two-factor-required")
    assert snapshot() == before
    assert not mail.outbox


def test_an_admin_resets_a_lost_authenticator_and_the_member_must_set_up_anew(admin, reviewer):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    phone = APIClient()
    staff_login(phone, reviewer)  # a confirmed device and a verified session
    assert phone.get("/api/v1/staff/residents/").status_code == 200

    response = client_for(admin).post(f"/api/v1/staff/members/{reviewer.pk}/totp-reset/")
    assert response.status_code == 200, response.content
    assert response.json() == {"devices_removed": 1}
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    event = AuditEvent.objects.get(action="totp.reset")
    assert (event.actor, event.target_id) == (admin, str(reviewer.pk))
    # The session on the lost phone has ended: nothing works there any more.
    assert phone.get("/api/v1/staff/residents/").status_code == 403
    # At the next sign-in the staff pages send them to set up a new authenticator.
    fresh = APIClient()
    fresh.force_login(reviewer)
    page = fresh.get("/staff/")
    assert page.status_code == 302
    assert page["Location"].endswith("/staff/2fa/setup/")


def test_nobody_resets_their_own_authenticator_and_only_admins_reset(admin, reviewer):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    own = client_for(admin).post(f"/api/v1/staff/members/{admin.pk}/totp-reset/")
    assert own.status_code == 422
    assert TOTPDevice.objects.filter(user=admin).exists()
    other = client_for(reviewer).post(f"/api/v1/staff/members/{admin.pk}/totp-reset/")
    assert other.status_code == 403
    assert TOTPDevice.objects.filter(user=admin).exists()
    missing = client_for(admin).post("/api/v1/staff/members/999999/totp-reset/")
    assert missing.status_code == 404
    assert not AuditEvent.objects.filter(action="totp.reset").exists()


def test_the_reset_button_on_the_member_page(admin, reviewer):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    staff_login(APIClient(), reviewer)
    client = client_for(admin)
    page = client.get(f"/staff/members/{reviewer.pk}/")
    assert 'id="totp-reset"' in page.content.decode()
    response = client.post(f"/staff/members/{reviewer.pk}/two-factor-reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert client.get(f"/staff/members/{reviewer.pk}/two-factor-reset/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_admins_removing_each_other_at_once_leave_one_admin(admin):
    """Each holds every administrator grant while changing roles, so the second to commit finds
    it is no longer an administrator and is refused."""
    from accounts import staff

    other = make_user("other-admin@example.org", "admin")
    pairs = [(admin, other), (other, admin)]
    results = run_together(
        2,
        lambda i: staff.staff_roles_set(admin=pairs[i][0], user_id=pairs[i][1].pk, roles=[]),
    )
    assert outcomes(results) == ["NotAllowed", "ok"]
    assert RoleGrant.objects.filter(role="admin").count() == 1


def test_the_audit_log_pages_by_cursor_each_event_once_newest_first(admin):
    audit_rows(47)
    api = client_for(admin)
    seen, url, pages = [], "/api/v1/staff/audit-log/?limit=10", 0
    while url:
        body = api.get(url).json()
        assert "count" not in body  # no count: a deep page costs what the first one does
        seen += [r["id"] for r in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 5
    expected = list(AuditEvent.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == expected
    assert len(set(seen)) == 47
    # `previous` from the second page leads back to the first.
    first = api.get("/api/v1/staff/audit-log/?limit=10").json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("limit=0", 400),
        ("limit=201", 400),
        ("limit=many", 400),
        ("cursor=" + "x" * 201, 400),
        ("cursor=not-a-cursor", 404),
        # base64 of "p=yesterday": a well-formed cursor whose position is no time.
        ("cursor=cD15ZXN0ZXJkYXk%3D", 404),
    ],
)
def test_a_bad_audit_log_cursor_or_limit_is_refused_and_says_why(admin, query, status):
    response = client_for(admin).get(f"/api/v1/staff/audit-log/?{query}")
    assert_problem(response, status)
    if status == 400:
        assert query.split("=")[0] in response.json()["errors"]
    else:
        assert "first page" in response.json()["title"]


def test_a_blank_audit_log_cursor_is_the_first_page(admin):
    audit_rows(3)
    api = client_for(admin)
    first = api.get("/api/v1/staff/audit-log/").json()["results"]
    assert api.get("/api/v1/staff/audit-log/?cursor=").json()["results"] == first
