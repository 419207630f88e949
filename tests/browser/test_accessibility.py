"""axe-core on every page, as the person who sees it: no serious or critical violations. And the
wallet works one-handed on a small phone: nothing scrolls sideways."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts import identity
from accounts.models import STAFF_ROLES, User
from tests.browser.conftest import (
    assert_pages_exist,
    axe_serious,
    code_input,
    fund_wallet,
    make_approved_shop,
    make_resident,
    sign_in,
    staff_device,
    totp_now,
)
from tests.helpers import make_user


def _anonymous(page: Any) -> dict[str, Any]:
    return {}


def _unconfirmed(page: Any) -> dict[str, Any]:
    """A new resident holding the link from their sign-up mail (following it signs them in)."""
    user = make_resident("new@example.org")
    User.objects.filter(pk=user.pk).update(email_verified_at=None)
    user.refresh_from_db()
    return {"token": identity.email_verification_token(user=user)}


def _resident(page: Any) -> dict[str, Any]:
    """A resident with a few lines on their statement."""
    user = make_resident()
    fund_wallet(user, 1_250, times=3)
    sign_in(page, user.email)
    return {}


def _shop_owner(page: Any) -> dict[str, Any]:
    owner = make_user("owner@example.org", display_name="Olga")
    shop = make_approved_shop(owner)
    sign_in(page, owner.email)
    return {"shop": shop.pk}


def _staff_without_device(page: Any) -> dict[str, Any]:
    sign_in(page, make_user("new-staff@example.org", "reviewer").email)
    return {}


def _staff_unverified(page: Any) -> dict[str, Any]:
    """Staff with an authenticator, signed in but not yet past the code."""
    user = make_user("staff@example.org", *STAFF_ROLES, display_name="Stef")
    staff_device(user)
    sign_in(page, user.email)
    return {}


def staff_signed_in(page: Any) -> dict[str, Any]:
    """Staff holding every staff role, signed in through the pages with their TOTP code."""
    user = make_user("staff@example.org", *STAFF_ROLES, display_name="Stef")
    device = staff_device(user)
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/staff/2fa/verify/$"))
    code = code_input(page)
    code.fill(totp_now(device))
    code.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path != "/staff/2fa/verify/")
    return {}


Persona = Callable[[Any], dict[str, Any]]
PAGES: list[tuple[str, Persona, str, int]] = [
    ("landing", _anonymous, "/", 200),
    ("sign-in", _anonymous, "/login/", 200),
    ("sign-up", _anonymous, "/signup/", 200),
    ("verify-email-resend", _anonymous, "/verify-email/resend/", 200),
    ("verify-email-failed", _anonymous, "/verify-email/not-a-real-token/", 400),
    ("verify-email-done", _unconfirmed, "/verify-email/{token}/", 200),
    ("password-reset", _anonymous, "/password-reset/", 200),
    ("password-reset-sent", _anonymous, "/password-reset/sent/", 200),
    ("password-reset-bad-link", _anonymous, "/password-reset/MQ/set-password/", 200),
    ("password-reset-done", _anonymous, "/password-reset/done/", 200),
    ("not-found", _anonymous, "/no-such-page/", 404),
    ("wallet", _resident, "/wallet/", 200),
    ("account", _resident, "/account/", 200),
    ("account-password", _resident, "/account/password/", 200),
    ("account-email", _resident, "/account/email/", 200),
    ("account-sessions", _resident, "/account/sessions/", 200),
    ("account-delete", _resident, "/account/delete/", 200),
    ("forbidden", _resident, "/staff/", 403),
    ("shop-none-yet", _resident, "/shop/", 200),
    ("shop-apply", _resident, "/shop/apply/", 200),
    ("shop-home", _shop_owner, "/shop/", 200),
    ("shop-detail", _shop_owner, "/shop/{shop}/", 200),
    ("shop-edit", _shop_owner, "/shop/{shop}/edit/", 200),
    ("staff-2fa-setup", _staff_without_device, "/staff/2fa/setup/", 200),
    ("staff-2fa-verify", _staff_unverified, "/staff/2fa/verify/", 200),
    ("staff-home", staff_signed_in, "/staff/", 200),
    ("staff-shops", staff_signed_in, "/staff/shops/", 200),
    ("staff-wallet-expiry", staff_signed_in, "/staff/payments/expiry/", 200),
]


def check(page: Any, path: str, status: int = 200) -> list[str]:
    """Open `path`; it answers `status` with one h1; return axe's serious findings."""
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"{path} answered {response.status}"
    expect(page.locator("h1")).to_have_count(1)
    return axe_serious(page)


@pytest.mark.parametrize(
    ("persona", "path", "status"),
    [pytest.param(persona, path, status, id=name) for name, persona, path, status in PAGES],
)
def test_page_has_no_serious_accessibility_violations(page, persona, path, status):
    section = path.split("/")[1]
    assert_pages_exist(page, f"/{section}/" if section else "/")
    if persona in (_staff_unverified, staff_signed_in):
        assert_pages_exist(page, "/staff/2fa/verify/")
    context = persona(page)
    assert check(page, path.format(**context), status) == []


def _links_under(page: Any, prefix: str) -> set[str]:
    """The paths of the page's links that stay under `prefix`."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return {urlsplit(h).path for h in hrefs if urlsplit(h).path.startswith(prefix)}


@pytest.mark.parametrize(
    ("persona", "start"),
    [(_resident, "/wallet/"), (staff_signed_in, "/staff/")],
    ids=["wallet", "staff"],
)
def test_every_page_linked_from_a_front_door_is_accessible(page, persona, start):
    """Pages reached by following links from the front door (two clicks deep): those added
    after this test was written are checked too."""
    assert_pages_exist(page, start, "/staff/2fa/verify/")
    persona(page)
    seen: set[str] = set()
    frontier = {start}
    found: dict[str, list[str]] = {}
    for _ in range(2):
        following: set[str] = set()
        for path in sorted(frontier - seen):
            seen.add(path)
            response = page.request.get(path)
            if "text/html" not in response.headers.get("content-type", ""):
                continue  # a download (CSV, JSON), not a page
            if problems := check(page, path):
                found[path] = problems
            following |= _links_under(page, start)
        frontier = following
    assert found == {}
    assert seen


def test_wallet_does_not_scroll_sideways_on_a_small_phone(new_context):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    assert_pages_exist(page, "/wallet/")
    user = make_resident()
    fund_wallet(user, 987_654, times=4)
    sign_in(page, user.email)
    response = page.goto("/wallet/")
    assert response is not None
    assert response.status == 200
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]}px wide on a {width[1]}px screen"
