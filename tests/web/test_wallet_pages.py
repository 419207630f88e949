"""The wallet (/wallet/): the resident's own balance, residency and statement; refused to
everyone else; and the installable shell (manifest, service worker, offline page)."""

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from accounts.models import InviteCode, ResidentProfile
from accounts.services import invite_codes_generate, resident_register
from ledger import selectors
from ledger import services as ledger_services
from tests.helpers import PASSWORD, make_user

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def anna(db):
    return resident_register(email="anna@example.org", password=PASSWORD, display_name="Anna")


@pytest.fixture
def codes(db):
    reviewer = make_user("reviewer@example.org", "reviewer")
    return invite_codes_generate(created_by=reviewer, count=2, valid_days=30, batch="Letter")


def fund(user, amount, times=1):
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    issuer = selectors.issuer_account(currency=currency)
    for _ in range(times):
        ledger_services.transfer_post(
            kind="mint",
            legs=ledger_services.legs_between(
                source_id=issuer.id, destination_id=user.resident.wallet_id, amount=amount
            ),
        )


def verified(user):
    return ResidentProfile.objects.get(user=user).residency_verified_at is not None


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    for path in ("/wallet/", "/wallet/statement/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_people_without_a_wallet_are_refused(client, db):
    staff = make_user("staff@example.org", "reviewer")
    client.force_login(staff)
    assert client.get("/wallet/").status_code == 403
    assert client.post("/wallet/residency/", {"code": "X"}).status_code == 403


def test_the_wallet_shows_balance_statement_and_unverified_note(client, anna):
    fund(anna, 1_250, times=2)
    client.force_login(anna)
    response = client.get("/wallet/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert ">25.00</data>" in page
    assert "Heitje" in page
    assert "are paid once your residency is verified" in page
    assert page.count("Tokens issued") == 2
    assert '<label for="id_code"' in page
    assert 'hx-post="/wallet/residency/"' in page
    assert 'rel="manifest" href="/wallet/manifest.webmanifest"' in page
    assert "/static/js/wallet.js" in page


def test_the_statement_is_newest_first_and_pages_with_a_key(client, anna):
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    issuer = selectors.issuer_account(currency=currency)
    for amount in range(1, 26):  # 25 lines: one full page of 20 and 5 older
        ledger_services.transfer_post(
            kind="mint",
            legs=ledger_services.legs_between(
                source_id=issuer.id, destination_id=anna.resident.wallet_id, amount=amount * 100
            ),
        )
    client.force_login(anna)
    page = client.get("/wallet/").content.decode()
    versions = [int(v) for v in re.findall(r'id="line-(\d+)"', page)]
    assert versions == list(range(25, 5, -1))
    more = re.search(r'href="/wallet/statement/\?before=(\d+)#statement"', page)
    assert more
    assert more.group(1) == "6"

    fragment = client.get("/wallet/statement/?before=6", **HX)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<h1" not in body  # a fragment for htmx to append
    assert [int(v) for v in re.findall(r'id="line-(\d+)"', body)] == [5, 4, 3, 2, 1]
    assert "before=" not in body  # nothing older

    plain = client.get("/wallet/statement/?before=6")
    assert plain.status_code == 200
    assert plain.content.decode().count("<h1") == 1
    assert [int(v) for v in re.findall(r'id="line-(\d+)"', plain.content.decode())] == [
        5,
        4,
        3,
        2,
        1,
    ]
    # A nonsense key is the start, not an error.
    assert client.get("/wallet/?before=-3").status_code == 200
    assert client.get("/wallet/statement/?before=abc", **HX).status_code == 200


def test_the_statement_only_shows_my_own_wallet(client, anna):
    bert = resident_register(email="bert@example.org", password=PASSWORD, display_name="Bert")
    fund(bert, 999)
    client.force_login(anna)
    assert "9.99" not in client.get("/wallet/").content.decode()


def test_residency_code_with_htmx_swaps_the_box(client, anna, codes):
    client.force_login(anna)
    wrong = client.post("/wallet/residency/", {"code": "AAAA-BBBB-CCCC"}, **HX)
    assert wrong.status_code == 200
    body = wrong.content.decode()
    assert body.lstrip().startswith('<section class="card residency" id="residency"')
    assert "That code is not valid" in body
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_code_helptext id_code_error"' in body
    assert not verified(anna)

    right = client.post("/wallet/residency/", {"code": codes[0].lower()}, **HX)
    assert right.status_code == 200
    assert "your residency is verified" in right.content.decode()
    assert verified(anna)
    assert InviteCode.objects.filter(used_by=anna).count() == 1


def test_residency_code_without_javascript(client, anna, codes):
    client.force_login(anna)
    empty = client.post("/wallet/residency/", {"code": ""})
    assert empty.status_code == 422
    assert empty.content.decode().count("<h1") == 1
    assert 'aria-invalid="true"' in empty.content.decode()
    overlong = client.post("/wallet/residency/", {"code": "A" * 41})
    assert overlong.status_code == 422
    assert not verified(anna)

    done = client.post("/wallet/residency/", {"code": codes[1]})
    assert done.status_code == 302
    assert done["Location"] == "/wallet/"
    assert verified(anna)
    page = client.get("/wallet/").content.decode()
    assert "are paid once your residency is verified" not in page

    again = client.post("/wallet/residency/", {"code": codes[0]})
    assert again.status_code == 302  # verified already: nothing to do, no code spent
    assert InviteCode.objects.filter(used_by__isnull=False).count() == 1


def test_the_manifest(client, db):
    response = client.get("/wallet/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/wallet/"
    assert manifest["scope"] == "/wallet/"
    assert manifest["display"] == "standalone"
    assert manifest["name"]
    assert manifest["short_name"]
    assert manifest["theme_color"] == "#0b6e4f"
    assert manifest["background_color"] == "#ffffff"
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL)), icon


def test_the_service_worker_caches_the_shell_and_never_money(client, db):
    response = client.get("/wallet/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/wallet/"
    script = response.content.decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))
    assert "/static/css/site.css" in shell
    assert "/static/pwa/icon-192.png" in shell
    assert not any(p.startswith(("/wallet/", "/api/")) for p in shell)
    # The offline page is fetched without cookies, so the worker names the reader's language.
    assert 'const OFFLINE_URL = "/wallet/offline/?lang=en"' in script
    assert 'credentials: "omit"' in script
    for path in shell:
        assert finders.find(path.removeprefix(settings.STATIC_URL)), path


def test_the_offline_page_speaks_the_language_the_worker_names(client, db):
    page = client.get("/wallet/offline/?lang=de").content.decode()
    assert '<html lang="de"' in page
    assert "Keine Internetverbindung" in page
    assert '<html lang="en"' in client.get("/wallet/offline/?lang=xx").content.decode()


def test_the_offline_page_holds_nothing_personal(client, anna):
    fund(anna, 4_321)
    response = client.get("/wallet/offline/")
    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1
    assert "43.21" not in response.content.decode()
