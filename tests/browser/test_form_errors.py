"""A form sent with mistakes: each message is shown in words next to its field and tied to it
(aria-describedby, aria-invalid), so a screen reader reads it with the field; nothing is
saved."""

from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import User
from shops.models import Shop
from tests.browser.conftest import (
    axe_serious,
    field,
    make_resident,
    page_language,
    sign_in,
    tr,
)


def assert_error_tied(page: Any, control: Any, message: str) -> None:
    """`control` is marked invalid and one of the elements describing it says `message`."""
    expect(control).to_have_attribute("aria-invalid", "true")
    described = (control.get_attribute("aria-describedby") or "").split()
    texts = [page.locator(f"[id='{name}']").inner_text() for name in described]
    assert any(message in text for text in texts), (message, texts)


def test_sign_up_mistakes_are_shown_on_their_fields(page):
    page.goto("/signup/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill("not an address")
    field(main, page, "Password").fill("Kerkrade-bench-painter-7")
    main.get_by_role("button", name=tr(page, "Sign up"), exact=True).click()

    main = page.get_by_role("main")
    assert_error_tied(
        page, field(main, page, "Email address"), tr(page, "Enter a valid email address.")
    )
    assert_error_tied(page, field(main, page, "Display name"), tr(page, "This field is required."))
    expect(field(main, page, "Password")).not_to_have_attribute("aria-invalid", "true")
    expect(field(main, page, "Email address")).to_have_value("not an address")
    assert axe_serious(page) == []
    assert not User.objects.exists()
    assert mail.outbox == []


def test_a_weak_password_is_refused_on_the_password_field(page):
    page.goto("/signup/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill("weak@example.org")
    field(main, page, "Password").fill("password")
    field(main, page, "Display name").fill("Wendy")
    main.get_by_role("button", name=tr(page, "Sign up"), exact=True).click()

    weak = User(email="weak@example.org", display_name="Wendy")
    with translation.override(page_language(page)), pytest.raises(ValidationError) as refused:
        validate_password("password", user=weak)
    expected = refused.value.messages[0]
    assert_error_tied(page, field(page.get_by_role("main"), page, "Password"), expected)
    assert not User.objects.filter(email="weak@example.org").exists()
    assert mail.outbox == []


def test_a_wrong_password_at_sign_in_is_announced(page):
    user = make_resident()
    page.goto("/login/")
    main = page.get_by_role("main")
    field(main, page, "Email address").fill(user.email)
    field(main, page, "Password").fill("not-the-password")
    main.get_by_role("button", name=tr(page, "Sign in"), exact=True).click()

    expect(page.get_by_role("alert")).not_to_have_text("")
    expect(page.locator("h1")).to_have_text(tr(page, "Sign in"))
    assert axe_serious(page) == []


def test_a_wrong_iban_is_explained_next_to_the_field(page):
    user = make_resident("shopkeeper@example.org")
    sign_in(page, user.email)
    page.goto("/shop/apply/")
    main = page.get_by_role("main")
    field(main, page, "Shop name").fill("Fietsenmaker Frits")
    field(main, page, "Address").fill("Akerstraat 10, 6411 HA Heerlen")
    field(main, page, "IBAN").fill("NL91ABNA0417164301")
    main.locator("form").get_by_role("button").last.click()

    iban = field(page.get_by_role("main"), page, "IBAN")
    assert_error_tied(page, iban, tr(page, "This IBAN is not valid. Check it for a typing error."))
    expect(iban).to_have_value("NL91ABNA0417164301")
    assert axe_serious(page) == []
    assert not Shop.objects.exists()
