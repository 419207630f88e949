"""Staff services: two-factor setup, staff members and roles, neighbourhoods. Each refusal
changes nothing; each action is audited with its actor and origin."""

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, staff
from accounts.errors import NotAllowed, NotFound
from accounts.models import AuditEvent, Neighbourhood, RoleGrant, User
from tests.helpers import PASSWORD, make_user


def now_code(device):
    return str(totp(device.bin_key, step=device.step, t0=device.t0)).zfill(device.digits)


@pytest.fixture
def admin(db):
    return make_user("admin@example.org", "admin")


def test_totp_setup_reuses_the_unconfirmed_device_and_confirms_once(db, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    rob = make_user("rob@example.org", "reviewer")
    device = staff.totp_device_for_setup(user=rob)
    assert staff.totp_device_for_setup(user=rob) == device
    with pytest.raises(staff.TwoFactorRefused) as refused:
        staff.totp_confirm(user=rob, token="12345x")
    assert refused.value.field == "token"
    device.refresh_from_db()
    assert not device.confirmed
    assert not AuditEvent.objects.exists()

    token = audit.origin_set(audit.Origin(ip_address="198.51.100.4", user_agent="phone"))
    try:
        confirmed = staff.totp_confirm(user=rob, token=now_code(device))
    finally:
        audit.origin_reset(token)
    assert confirmed.confirmed
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.ip_address) == (rob, "totp.confirm", "198.51.100.4")
    with pytest.raises(staff.TwoFactorRefused):
        staff.totp_device_for_setup(user=rob)
    assert TOTPDevice.objects.filter(user=rob).count() == 1


def test_a_wrong_code_at_setup_counts_towards_the_throttle(db, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    rob = make_user("rob@example.org", "reviewer")
    device = staff.totp_device_for_setup(user=rob)
    valid = {str(totp(device.bin_key, t0=device.t0 - n * 30)).zfill(6) for n in range(-3, 4)}
    wrong = next(c for c in ("000000", "123456") if c not in valid)
    with pytest.raises(staff.TwoFactorRefused):
        staff.totp_confirm(user=rob, token=wrong)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    with pytest.raises(staff.TwoFactorRefused, match="Too many wrong codes"):
        staff.totp_confirm(user=rob, token=now_code(device))
    device.refresh_from_db()
    assert not device.confirmed


def test_only_admins_create_staff(db, django_capture_on_commit_callbacks):
    rob = make_user("rob@example.org", "reviewer")
    with pytest.raises(NotAllowed):
        staff.staff_create(admin=rob, email="x@example.org", display_name="X", roles=["admin"])
    assert not User.objects.filter(email="x@example.org").exists()
    assert not AuditEvent.objects.exists()


def test_a_staff_member_is_created_with_roles_and_a_mail_in_their_language(
    admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nina = staff.staff_create(
            admin=admin,
            email=" Nina@Example.org ",
            display_name="Nina",
            roles=["reviewer", "approver"],
            language="nl",
        )
    assert nina.email == "nina@example.org"
    assert set(RoleGrant.objects.filter(user=nina).values_list("role", "granted_by")) == {
        ("reviewer", admin.pk),
        ("approver", admin.pk),
    }
    [message] = mail.outbox
    assert message.to == ["nina@example.org"]
    assert "/staff/welcome/" in message.body
    assert AuditEvent.objects.get().detail == {"roles": ["approver", "reviewer"]}


def test_the_welcome_link_sets_a_password_once(admin, django_capture_on_commit_callbacks):
    nina = staff.staff_create(
        admin=admin, email="n@example.org", display_name="N", roles=["finance"]
    )
    uid, token = staff.staff_welcome_link(user=nina).rstrip("/").split("/")[-2:]
    with pytest.raises(staff.StaffRefused) as weak:
        staff.staff_welcome_set_password(uidb64=uid, token=token, password="123")
    assert weak.value.field == "password"
    staff.staff_welcome_set_password(uidb64=uid, token=token, password=PASSWORD)
    nina.refresh_from_db()
    assert nina.check_password(PASSWORD)
    assert nina.email_verified_at is not None
    with pytest.raises(staff.StaffRefused):
        staff.staff_welcome_set_password(uidb64=uid, token=token, password="Another-pass-2026!")
    nina.refresh_from_db()
    assert nina.check_password(PASSWORD)


def test_roles_keep_resident_and_an_admin_keeps_their_own_admin(admin):
    anna = make_user("anna@example.org", "resident", "reviewer")
    assert staff.staff_roles_set(admin=admin, user_id=anna.pk, roles=[]) == set()
    assert list(RoleGrant.objects.filter(user=anna).values_list("role", flat=True)) == ["resident"]
    before = list(RoleGrant.objects.values_list("user", "role"))
    with pytest.raises(staff.StaffRefused):
        staff.staff_roles_set(admin=admin, user_id=admin.pk, roles=["reviewer"])
    with pytest.raises(staff.StaffRefused):
        staff.staff_roles_set(admin=admin, user_id=anna.pk, roles=["resident"])
    with pytest.raises(NotFound):
        staff.staff_roles_set(admin=admin, user_id=999_999, roles=["finance"])
    assert list(RoleGrant.objects.values_list("user", "role")) == before
    # Setting the same roles again is no action: nothing audited.
    count = AuditEvent.objects.count()
    staff.staff_roles_set(admin=admin, user_id=admin.pk, roles=["admin"])
    assert AuditEvent.objects.count() == count


def test_neighbourhood_names_are_unique_without_regard_to_case(db):
    manager = make_user("tm@example.org", "task_manager")
    made = staff.neighbourhood_create(staff=manager, name="  Proef   wijk ")
    assert made.name == "Proef wijk"
    other = staff.neighbourhood_create(staff=manager, name="Proefdorp")
    count = Neighbourhood.objects.count()
    for name in ("PROEF WIJK", "", "x" * 101):
        with pytest.raises(staff.StaffRefused):
            staff.neighbourhood_create(staff=manager, name=name)
    with pytest.raises(staff.StaffRefused):
        staff.neighbourhood_rename(staff=manager, neighbourhood_id=other.pk, name="proef wijk")
    reviewer = make_user("rob@example.org", "reviewer")
    with pytest.raises(NotAllowed):
        staff.neighbourhood_create(staff=reviewer, name="Elders")
    assert Neighbourhood.objects.count() == count
    other.refresh_from_db()
    assert other.name == "Proefdorp"
    assert AuditEvent.objects.filter(action="neighbourhood.create").count() == 2
