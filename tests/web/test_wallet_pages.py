"""The resident's wallet pages: only for residents, balance and history newest first, residency
by letter code (with and without htmx), and the installable shell (manifest, service worker)."""

import json
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from accounts.models import InviteCode, ResidentProfile
from accounts.services import _code_hash, resident_register
from ledger import selectors, services
from tests.helpers import PASSWORD, make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def anna(db):
    return resident_register(
        email="anna@example.org", password=PASSWORD, display_name="Anna", language="en"
    )


def pay(user, amount):
    wallet = ResidentProfile.objects.get(user=user).wallet
    issuer = selectors.issuer_account(currency=wallet.currency)
    services.transfer_post(
        kind="payout",
        legs=services.legs_between(source_id=issuer.id, destination_id=wallet.id, amount=amount),
    )


def letter_code(code="ABCDEFGHJKLM", **extra):
    from accounts.models import User

    staff = User.objects.filter(email="letters@example.org").first() or make_user(
        "letters@example.org", "reviewer"
    )
    extra.setdefault("expires_at", timezone.now() + timedelta(days=30))
    return InviteCode.objects.create(
        code_hash=_code_hash(code), batch="Letters", created_by=staff, **extra
    )


def verified(user):
    return ResidentProfile.objects.get(user=user).residency_verified_at is not None


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/wallet/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/wallet/")


def test_signed_in_people_without_a_wallet_get_the_friendly_403(client, db):
    client.force_login(make_user("clerk@example.org", "reviewer"))
    response = client.get("/wallet/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "This page is not open to you." in body
    assert "Traceback" not in body


def test_the_wallet_shows_balance_and_history_newest_first(client, anna):
    pay(anna, 1500)
    pay(anna, 1200)
    client.force_login(anna)
    response = client.get("/wallet/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="balance-amount" value="2700">27.00<' in body
    assert body.index('value="1200">+12.00') < body.index('value="1500">+15.00')
    assert 'rel="manifest" href="/wallet/manifest.webmanifest"' in body
    assert 'data-sw="/wallet/sw.js"' in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_amounts_and_dates_follow_the_language(client, anna):
    pay(anna, 123456)
    anna.preferred_language = "de"
    anna.save()
    client.force_login(anna)
    body = client.get("/wallet/").content.decode()
    assert ">1.234,56<" in body
    assert '<html lang="de">' in body
    assert 'datetime="' in body


def test_older_lines_come_a_page_at_a_time(client, anna):
    for amount in range(1, 26):
        pay(anna, amount * 100)
    client.force_login(anna)
    first = client.get("/wallet/").content.decode()
    assert first.count('id="statement-line-') == 20
    assert 'id="statement-line-25"' in first
    assert 'id="statement-line-5"' not in first
    assert 'hx-get="/wallet/statement/?before=6"' in first

    more = client.get("/wallet/statement/?before=6", **HTMX)
    assert more.status_code == 200
    body = more.content.decode()
    assert "<html" not in body  # a fragment for htmx
    assert [f'id="statement-line-{v}"' in body for v in (5, 4, 3, 2, 1)] == [True] * 5
    assert 'id="statement-line-6"' not in body
    assert 'id="statement-more"' not in body  # nothing older

    plain = client.get("/wallet/?before=6")
    assert plain.content.decode().count('id="statement-line-') == 5
    assert client.get("/wallet/?before=nonsense").status_code == 200
    assert client.get("/wallet/?before=99999999999999999999999").status_code == 200


def test_the_unverified_see_a_note_and_the_letter_code_form(client, anna):
    client.force_login(anna)
    body = client.get("/wallet/").content.decode()
    assert 'id="residency-note"' in body
    assert 'id="residency-code-form"' in body
    assert '<label for="id_code">' in body


def test_a_letter_code_verifies_residency_with_htmx(client, anna):
    letter_code()
    client.force_login(anna)
    response = client.post("/wallet/residency/", {"code": "abcd-efgh-jklm"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<section class="card"')
    assert 'id="residency"' in body
    assert "You are verified as a resident" in body
    assert verified(anna)


def test_a_wrong_code_is_explained_at_the_field_and_changes_nothing(client, anna):
    letter_code()
    client.force_login(anna)
    response = client.post("/wallet/residency/", {"code": "WRONG-CODE-1234"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_code_helptext id_code_error"' in body
    assert 'id="id_code_error"' in body
    assert "That code is not valid." in body
    assert not verified(anna)
    assert not InviteCode.objects.filter(used_by__isnull=False).exists()


def test_an_expired_code_without_htmx_answers_422_with_the_page(client, anna):
    letter_code(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(anna)
    response = client.post("/wallet/residency/", {"code": "ABCDEFGHJKLM"})
    assert response.status_code == 422
    assert "That code has expired." in response.content.decode()
    assert not verified(anna)


def test_an_overlong_or_missing_code_is_refused(client, anna):
    client.force_login(anna)
    assert client.post("/wallet/residency/", {"code": "A" * 41}).status_code == 422
    assert client.post("/wallet/residency/", {}).status_code == 422
    assert not verified(anna)


def test_residency_cannot_be_posted_by_someone_without_a_wallet(client, db):
    letter_code()
    clerk = make_user("clerk@example.org", "reviewer")
    client.force_login(clerk)
    assert client.post("/wallet/residency/", {"code": "ABCDEFGHJKLM"}).status_code == 403
    assert not InviteCode.objects.filter(used_by__isnull=False).exists()


def test_a_verified_resident_sees_no_form(client, anna):
    letter_code()
    client.force_login(anna)
    client.post("/wallet/residency/", {"code": "ABCDEFGHJKLM"})
    body = client.get("/wallet/").content.decode()
    assert 'id="residency-code-form"' not in body
    assert 'id="residency-note"' not in body


def test_the_manifest_makes_the_wallet_installable(client, db):
    response = client.get("/wallet/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == "/wallet/"
    assert manifest["display"] == "standalone"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert sizes >= {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert found, icon["src"]
        with open(found, "rb") as png:
            head = png.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(head[16:20], "big")
        assert icon["sizes"] == f"{width}x{width}"


def test_the_service_worker_is_javascript_scoped_to_the_wallet(client, db):
    response = client.get("/wallet/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/wallet/"
    body = response.content.decode()
    assert '"/static/css/site.css"' in body
    assert '"/wallet/offline/"' in body
    assert 'pathname.startsWith("/api/")' in body  # the API is never cached


def test_the_offline_page_holds_no_personal_data(client, anna):
    pay(anna, 700)
    client.force_login(anna)
    body = client.get("/wallet/offline/").content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert "X-CSRFToken" not in body
    assert "7.00" not in body
    assert "anna" not in body.lower()
