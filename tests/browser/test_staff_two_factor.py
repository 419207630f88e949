"""Staff cannot use the console before they set up an authenticator app (TOTP)."""

import re
from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_pages_exist,
    code_input,
    setup_device,
    sign_in,
    totp_now,
    wrong_code,
)
from tests.helpers import make_user

SETUP = re.compile(r"/staff/2fa/setup/$")


@pytest.fixture
def fast_retries(settings):
    """django-otp makes a device wait after a wrong code (1 s, doubling); the test enters the
    right code straight after a wrong one."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_staff_set_up_totp_before_reaching_the_console(page, fast_retries):
    assert_pages_exist(page, "/staff/", "/staff/2fa/setup/")
    reviewer = make_user("rob@example.org", "reviewer", "approver", display_name="Rob")

    sign_in(page, reviewer.email)
    expect(page).to_have_url(SETUP)
    for path in ["/staff/", "/staff/shops/"]:
        page.goto(path)
        expect(page).to_have_url(SETUP)
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()

    # A wrong code: an error on the field, nothing confirmed, the console still closed.
    device = setup_device(page, reviewer)
    code = code_input(page)
    code.fill(wrong_code(device))
    code.press("Enter")
    expect(page).to_have_url(SETUP)
    code = code_input(page)
    expect(code).to_have_attribute("aria-invalid", "true")
    described = (code.get_attribute("aria-describedby") or "").split()
    assert any(page.locator(f"#{name}").inner_text().strip() for name in described)
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    page.goto("/staff/")
    expect(page).to_have_url(SETUP)

    # The code the app shows now opens the console, and keeps it open in this session.
    device = setup_device(page, reviewer)
    code = code_input(page)
    code.fill(totp_now(device))
    code.press("Enter")
    page.wait_for_url(lambda url: not SETUP.search(urlsplit(url).path))
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).count() == 1
    for path in ["/staff/", "/staff/shops/"]:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
