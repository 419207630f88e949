"""The staff console (/staff/): two-factor setup and check first, then each page for the roles
it serves; everyone else is sent to sign in, refused (403) or sent to the 2FA step, with nothing
changed. Staff actions are audited with who, what and from where."""

import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, InviteCode, Neighbourhood, ResidentProfile, RoleGrant, User
from accounts.services import resident_register
from tests.helpers import PASSWORD, audit_rows, make_user, staff_login

CONSOLE = [
    "/staff/",
    "/staff/residents/",
    "/staff/invite-codes/",
    "/staff/neighbourhoods/",
    "/staff/members/",
    "/staff/audit-log/",
]


def code(device, steps=0):
    return str(totp(device.bin_key, step=device.step, t0=device.t0 - steps * device.step)).zfill(6)


def wrong(device):
    valid = {code(device, n) for n in range(-3, 4)}
    return next(c for c in ("000000", "123456", "999999") if c not in valid)


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def admin(db):
    return make_user("admin@example.org", "admin", display_name="Ada")


@pytest.fixture
def anna(db):
    return resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for path in [*CONSOLE, "/staff/2fa/setup/", "/staff/2fa/verify/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next="), path


def test_residents_are_refused_everywhere(client, anna):
    client.force_login(anna)
    for path in [*CONSOLE, "/staff/2fa/setup/", "/staff/2fa/verify/"]:
        assert client.get(path).status_code == 403, path
    assert not TOTPDevice.objects.exists()


def test_staff_without_a_device_set_one_up_first(client, db):
    reviewer = make_user("rob@example.org", "reviewer")
    client.force_login(reviewer)
    for path in ["/staff/", "/staff/residents/"]:
        response = client.get(path)
        assert response["Location"] == "/staff/2fa/setup/"
    page = client.get("/staff/2fa/setup/")
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed
    assert '<svg role="img"' in html
    secret = device.config_url.split("secret=")[1].split("&")[0]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    # One form in the page's main part, with one field to type into.
    main = html[html.index("<main") : html.index("</main>")]
    assert main.count("<form") == 1
    assert len(re.findall(r'<input (?![^>]*type="hidden")', main)) == 1
    # Reloading keeps the same device: the app that scanned it stays right.
    client.get("/staff/2fa/setup/")
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1

    bad = client.post("/staff/2fa/setup/", {"token": wrong(device)})
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.content.decode()
    assert "That code is not right" in bad.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert client.get("/staff/")["Location"] == "/staff/2fa/setup/"
    assert not AuditEvent.objects.filter(action="totp.confirm").exists()

    for junk in ("", "12345", "abcdef", "1" * 12):
        assert client.post("/staff/2fa/setup/", {"token": junk}).status_code == 422
    assert client.post("/staff/2fa/setup/", {"token": "1" * 13}).status_code == 422
    assert not TOTPDevice.objects.filter(confirmed=True).exists()

    ok = client.post("/staff/2fa/setup/", {"token": code(device)}, REMOTE_ADDR="192.0.2.7")
    assert ok.status_code == 302
    assert ok["Location"] == "/staff/"
    device.refresh_from_db()
    assert device.confirmed
    event = AuditEvent.objects.get(action="totp.confirm")
    assert (event.actor, event.ip_address) == (reviewer, "192.0.2.7")
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/residents/").status_code == 200
    # Set up once: the page now leads to the console.
    assert client.get("/staff/2fa/setup/")["Location"] == "/staff/"


def test_staff_with_a_device_enter_its_code(client, db):
    reviewer = make_user("rob@example.org", "reviewer")
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    client.force_login(reviewer)
    assert client.get("/staff/")["Location"] == "/staff/2fa/verify/"
    assert client.get("/staff/2fa/setup/")["Location"] == "/staff/2fa/verify/"
    bad = client.post("/staff/2fa/verify/", {"token": wrong(device)})
    assert bad.status_code == 422
    assert 'aria-describedby="id_token_helptext id_token_error"' in bad.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/2fa/verify/"
    ok = client.post("/staff/2fa/verify/", {"token": code(device)})
    assert ok["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_wrong_codes_are_throttled(client, settings, db):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    reviewer = make_user("rob@example.org", "reviewer")
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    client.force_login(reviewer)
    client.post("/staff/2fa/verify/", {"token": wrong(device)})
    blocked = client.post("/staff/2fa/verify/", {"token": code(device)})
    assert blocked.status_code == 422
    assert "Too many wrong codes" in blocked.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/2fa/verify/"


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (("reviewer",), {"/staff/", "/staff/residents/", "/staff/invite-codes/"}),
        (("task_manager",), {"/staff/", "/staff/neighbourhoods/"}),
        (("approver",), {"/staff/"}),
        (("admin",), set(CONSOLE)),
    ],
)
def test_each_role_opens_its_pages(client, db, roles, allowed):
    person = make_user("staff@example.org", *roles)
    staff_login(client, person)
    home = client.get("/staff/").content.decode()
    for path in CONSOLE:
        response = client.get(path)
        assert response.status_code == (200 if path in allowed else 403), path
        if path != "/staff/":
            assert (f'href="{path}"' in home) == (path in allowed), path


def test_verifying_a_resident(client, anna, db):
    reviewer = make_user("rob@example.org", "reviewer")
    make_user("bert@example.org", "resident")
    staff_login(client, reviewer)
    page = client.get("/staff/residents/?q=ANNA&verified=no").content.decode()
    assert "anna@example.org" in page
    assert "bert@example.org" not in page
    # One step, but never blind: the letter code or the document checked is required.
    refused = client.post(f"/staff/residents/{anna.pk}/verify/", follow=True)
    assert "choose the document you checked" in refused.content.decode()
    assert ResidentProfile.objects.get(user=anna).residency_verified_at is None
    response = client.post(
        f"/staff/residents/{anna.pk}/verify/", {"document": "passport"}, REMOTE_ADDR="192.0.2.9"
    )
    assert response.status_code == 302
    profile = ResidentProfile.objects.get(user=anna)
    assert profile.residency_verified_by == reviewer
    event = AuditEvent.objects.get(action="resident.verify_residency")
    assert (event.actor, event.ip_address) == (reviewer, "192.0.2.9")
    checked = AuditEvent.objects.get(action="resident.residency_checked")
    assert checked.detail == {"method": "document", "document": "passport"}
    assert (
        client.post("/staff/residents/999999/verify/", {"document": "id_card"}).status_code == 404
    )


def test_invite_codes_are_shown_once_with_a_csv(client, db):
    reviewer = make_user("rob@example.org", "reviewer")
    staff_login(client, reviewer)
    response = client.post(
        "/staff/invite-codes/", {"batch": "Letter 11", "count": 3, "valid_days": 30}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    codes = re.findall(r"<li>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</li>", html)
    assert len(codes) == 3
    assert InviteCode.objects.count() == 3
    csv_link = re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', html).group(1)
    for c in codes:
        assert c in csv_link
        assert not InviteCode.objects.filter(code_hash=c).exists()
    # A reload shows none of them again.
    assert not re.findall(
        r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", client.get("/staff/invite-codes/").content.decode()
    )

    for bad in (
        {"batch": "", "count": 3, "valid_days": 30},
        {"batch": "x" * 101, "count": 3, "valid_days": 30},
        {"batch": "B", "count": 0, "valid_days": 30},
        {"batch": "B", "count": "many", "valid_days": 30},
        {"batch": "B", "count": 3, "valid_days": 400},
    ):
        refused = client.post("/staff/invite-codes/", bad)
        assert refused.status_code == 422, bad
        assert 'aria-invalid="true"' in refused.content.decode()
    assert InviteCode.objects.count() == 3


def test_neighbourhoods_are_added_and_renamed(client, db):
    manager = make_user("tm@example.org", "task_manager")
    staff_login(client, manager)
    seeded = Neighbourhood.objects.count()
    assert client.post("/staff/neighbourhoods/", {"name": "  Proefwijk "}).status_code == 302
    made = Neighbourhood.objects.get(name="Proefwijk")
    assert client.post("/staff/neighbourhoods/", {"name": "proefwijk"}).status_code == 422
    assert client.post("/staff/neighbourhoods/", {"name": "x" * 101}).status_code == 422
    assert Neighbourhood.objects.count() == seeded + 1
    assert client.get(f"/staff/neighbourhoods/{made.pk}/").status_code == 200
    assert (
        client.post(f"/staff/neighbourhoods/{made.pk}/", {"name": "Proefwijk-Noord"}).status_code
        == 302
    )
    made.refresh_from_db()
    assert made.name == "Proefwijk-Noord"
    assert client.post(f"/staff/neighbourhoods/{made.pk}/", {"name": ""}).status_code == 422
    assert client.get("/staff/neighbourhoods/999999/").status_code == 404
    actions = list(
        AuditEvent.objects.order_by("id").values_list("action", "actor__email", "detail")
    )
    assert actions == [
        ("neighbourhood.create", "tm@example.org", {"name": "Proefwijk"}),
        (
            "neighbourhood.rename",
            "tm@example.org",
            {"before": "Proefwijk", "after": "Proefwijk-Noord"},
        ),
    ]


def test_an_admin_adds_a_staff_member_who_chooses_a_password(
    client, admin, django_capture_on_commit_callbacks
):
    staff_login(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/members/",
            {
                "email": "New.Staff@Example.org",
                "display_name": "Nina",
                "roles": ["reviewer", "finance"],
                "language": "de",
            },
        )
    assert response.status_code == 302
    nina = User.objects.get(email="new.staff@example.org")
    assert set(nina.role_grants.values_list("role", flat=True)) == {"reviewer", "finance"}
    assert not nina.has_usable_password()
    assert nina.email_verified_at is None
    [message] = mail.outbox
    assert message.to == ["new.staff@example.org"]
    link = re.search(r"http://testserver(/staff/welcome/\S+/)", message.body).group(1)
    assert AuditEvent.objects.filter(action="staff.create", actor=admin).count() == 1

    client.logout()
    assert client.get(link).status_code == 200
    weak = client.post(link, {"password": "password"})
    assert weak.status_code == 422
    nina.refresh_from_db()
    assert not nina.has_usable_password()
    done = client.post(link, {"password": PASSWORD})
    assert done["Location"] == "/login/"
    nina.refresh_from_db()
    assert nina.check_password(PASSWORD)
    assert nina.email_verified_at is not None
    assert client.get(link).status_code == 400  # used once
    assert client.get("/staff/welcome/xx/yy/").status_code == 400


def test_staff_member_form_refusals_change_nothing(client, admin, anna):
    staff_login(client, admin)
    before = (User.objects.count(), RoleGrant.objects.count(), AuditEvent.objects.count())
    for bad in (
        {"email": "anna@example.org", "display_name": "A", "roles": ["reviewer"], "language": "en"},
        {"email": "not-an-email", "display_name": "A", "roles": ["reviewer"], "language": "en"},
        {"email": "x@example.org", "display_name": "", "roles": ["reviewer"], "language": "en"},
        {"email": "x@example.org", "display_name": "A", "roles": [], "language": "en"},
        {"email": "x@example.org", "display_name": "A", "roles": ["resident"], "language": "en"},
        {"email": "x@example.org", "display_name": "A" * 101, "roles": ["admin"], "language": "en"},
    ):
        assert client.post("/staff/members/", bad).status_code == 422, bad
    assert (User.objects.count(), RoleGrant.objects.count(), AuditEvent.objects.count()) == before
    assert len(mail.outbox) == 0


def test_roles_are_changed_but_nobody_drops_their_own_admin(client, admin):
    rob = make_user("rob@example.org", "reviewer", "resident")
    staff_login(client, admin)
    assert client.get(f"/staff/members/{rob.pk}/").status_code == 200
    assert client.post(f"/staff/members/{rob.pk}/", {"roles": ["approver"]}).status_code == 302
    assert set(rob.role_grants.values_list("role", flat=True)) == {"approver", "resident"}
    event = AuditEvent.objects.get(action="staff.roles_set")
    assert event.detail == {"before": ["reviewer"], "after": ["approver"]}

    own = client.post(f"/staff/members/{admin.pk}/", {"roles": ["reviewer"]})
    assert own.status_code == 422
    assert "your own administrator role" in own.content.decode()
    assert set(admin.role_grants.values_list("role", flat=True)) == {"admin"}
    assert client.get("/staff/members/999999/").status_code == 404


def test_the_audit_log_is_for_admins_and_filters(client, admin):
    manager = make_user("tm@example.org", "task_manager", "admin")
    staff_login(client, manager)
    client.post("/staff/neighbourhoods/", {"name": "Proefdorp Zuid"})
    staff_login(client, admin)
    client.post("/staff/neighbourhoods/", {"name": "Proefdorp Noord"})
    page = client.get("/staff/audit-log/").content.decode()
    page = page[page.index("<table") :]
    assert page.index("Proefdorp Noord") < page.index("Proefdorp Zuid")  # newest first
    only = client.get("/staff/audit-log/?actor=TM@example.org").content.decode()
    assert "Proefdorp Zuid" in only
    assert "Proefdorp Noord" not in only
    assert "Proefdorp Zuid" not in client.get("/staff/audit-log/?action=shop.").content.decode()


def test_the_audit_log_pages_by_cursor_keeping_its_filter(client, admin):
    audit_rows(60)
    staff_login(client, admin)
    first = client.get("/staff/audit-log/?action=neighbourhood.")
    html = first.content.decode()
    assert html.count('id="event-') == 50
    older = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "action=neighbourhood." in older  # the filter stays on every page
    assert 'rel="prev"' not in html  # the first page has nothing newer
    second = client.get(older).content.decode()
    assert second.count('id="event-') == 10
    assert 'rel="next"' not in second
    shown = re.findall(r'id="event-(\d+)"', html + second)
    assert len(set(shown)) == 60
    assert client.get("/staff/audit-log/?cursor=not-a-cursor").status_code == 404
