"""In Chromium, under the Content-Security-Policy: an injected inline script does not run, and
the API docs and the admin still work with nothing but this site's own files. (Every browser
test fails on anything the policy refuses: see `new_context`.)"""

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from accounts.models import Role
from tests.browser.conftest import code_input, csp_watch, sign_in, staff_device, totp_now
from tests.helpers import make_user


def test_an_injected_inline_script_does_not_run(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url)
    refused: list[str] = []
    context.on("console", lambda message: csp_watch(message, refused))
    page = context.new_page()
    page.goto("/login/")

    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.injected = true'; document.head.appendChild(s); }"""
    )

    expect(page.locator("h1")).to_have_count(1)
    assert page.evaluate("() => window.injected === undefined")
    assert refused, "Chromium reported no refusal"
    context.close()


def test_the_api_docs_run_from_this_site_alone(page, live_server):
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    page.goto("/api/docs/")

    expect(page.get_by_role("heading", name=re.compile("Heitje ledger API"))).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert hosts == {urlsplit(live_server.url).netloc}


def test_the_admin_opens_after_the_staff_code_and_works(page):
    admin = make_user("admin@example.org", Role.ADMIN, is_staff=True, is_superuser=True)
    device = staff_device(admin)
    sign_in(page, admin.email)

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/staff/2fa/verify/\?next=/admin/$"))
    code = code_input(page)
    code.fill(totp_now(device))
    code.press("Enter")

    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.goto("/admin/accounts/user/")
    select_all = page.locator("#action-toggle")
    select_all.check()
    expect(page.locator(".action-counter")).to_contain_text("1")
