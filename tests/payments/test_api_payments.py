"""Payments over HTTP: the resident's code charged at the till, the shop's request previewed
and paid once, poster payments, the day's payments, refunds, images and the published keys.
Bad input answers 400/422 problem+json with nothing changed; other shops answer 404."""

import base64

import pytest
from rest_framework.test import APIClient

from payments import codes, keys
from payments.models import Payment, PaymentRequest
from tests.payments.pay_fixtures import balance, money_snapshot, new_pem, public_pem, resident

pytest_plugins = ["tests.payments.pay_fixtures"]

PROBLEM = "application/problem+json"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["type"] == f"/problems/{code}"


def test_resident_code_to_charge_to_history(shop, cashier, anna):
    wallet = client_for(anna)
    issued = wallet.post("/api/v1/wallet/pay-codes/", {}, format="json")
    assert issued.status_code == 201
    body = issued.json()
    assert issued["Cache-Control"] == "no-store"
    assert body["payload"].startswith("HEITJE:1:P:")
    assert len(body["short_code"]) == 8
    assert body["qr_svg"].startswith("data:image/svg+xml;base64,")
    assert body["qr_png"].startswith("data:image/png;base64,")
    till = client_for(cashier)
    charged = till.post(
        f"/api/v1/shops/{shop.pk}/charges/",
        {"amount": 1250, "code": body["short_code"]},
        format="json",
    )
    assert charged.status_code == 201, charged.json()
    assert charged.json()["amount"] == 1250
    assert charged.json()["shop_name"] == shop.name
    again = till.post(
        f"/api/v1/shops/{shop.pk}/charges/", {"amount": 1, "code": body["payload"]}, format="json"
    )
    problem(again, 409, "code-used")
    mine = wallet.get("/api/v1/wallet/payments/").json()
    assert [(p["shop_name"], p["amount"]) for p in mine] == [(shop.name, 1250)]
    day = till.get(f"/api/v1/shops/{shop.pk}/payments/").json()
    assert (day["total"], len(day["payments"])) == (1250, 1)
    assert day["payments"][0]["cashier"] == (cashier.display_name or cashier.email)


def test_a_wallet_that_draws_the_qr_itself_gets_the_code_without_images(shop, cashier, anna):
    wallet = client_for(anna)
    issued = wallet.post("/api/v1/wallet/pay-codes/", {"images": False}, format="json")
    assert issued.status_code == 201
    body = issued.json()
    assert set(body) == {"payload", "short_code", "expires_at", "confirm_up_to"}
    charged = client_for(cashier).post(
        f"/api/v1/shops/{shop.pk}/charges/",
        {"amount": 300, "code": body["payload"]},
        format="json",
    )
    assert charged.status_code == 201, charged.json()
    assert balance(anna.resident.wallet_id) == 20_000 - 300


def test_images_must_be_a_yes_or_no(anna):
    before = money_snapshot()
    refused = client_for(anna).post("/api/v1/wallet/pay-codes/", {"images": "maybe"}, format="json")
    problem(refused, 400, "validation-error")
    assert money_snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amount": 100},
        {"code": "12345678"},
        {"amount": "ten", "code": "12345678"},
        {"amount": 0, "code": "12345678"},
        {"amount": 10**13, "code": "12345678"},
        {"amount": 100, "code": "1" * 700},
        {"amount": [1], "code": "12345678"},
    ],
)
def test_bad_charges_answer_400_with_nothing_changed(shop, cashier, body):
    before = money_snapshot()
    response = client_for(cashier).post(f"/api/v1/shops/{shop.pk}/charges/", body, format="json")
    problem(response, 400, "validation-error")
    assert money_snapshot() == before


def test_domain_refusals_are_problems(settings, shop, cashier, anna):
    settings.PAYMENT_MAX = 5_000
    till = client_for(cashier)
    response = till.post(
        f"/api/v1/shops/{shop.pk}/charges/", {"amount": 100, "code": "not a code!"}, format="json"
    )
    problem(response, 422, "code-malformed")
    response = till.post(
        f"/api/v1/shops/{shop.pk}/charges/", {"amount": 5_001, "code": "12345678"}, format="json"
    )
    problem(response, 422, "limit-exceeded")
    assert response.json()["errors"] == {"amount": [response.json()["title"]]}


def test_guessing_short_codes_answers_429(shop, cashier):
    till = client_for(cashier)
    for _ in range(10):
        response = till.post(
            f"/api/v1/shops/{shop.pk}/charges/",
            {"amount": 100, "code": "00000000"},
            format="json",
        )
        problem(response, 422, "code-unknown")
    response = till.post(
        f"/api/v1/shops/{shop.pk}/charges/", {"amount": 100, "code": "00000000"}, format="json"
    )
    problem(response, 429, "too-many-attempts")


def test_other_shops_and_strangers_get_404(shop, other_shop, cashier, anna):
    stranger = client_for(resident("stranger@example.org"))
    paid = client_for(anna).post(
        "/api/v1/wallet/pay-shop/", {"shop": str(shop.pk), "amount": 100}, format="json"
    )
    assert paid.status_code == 201
    payment_id = paid.json()["id"]
    made = client_for(cashier).post(
        f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 500}, format="json"
    )
    request_id = made.json()["id"]
    for client, shop_id in [(stranger, shop.pk), (client_for(cashier), other_shop.pk)]:
        for url in [
            f"/api/v1/shops/{shop_id}/payments/",
            f"/api/v1/shops/{shop_id}/payment-requests/{request_id}/",
            f"/api/v1/shops/{shop_id}/payment-requests/{request_id}/qr.png",
            f"/api/v1/shops/{shop_id}/poster.svg",
        ]:
            problem(client.get(url), 404, "not-found")
        problem(
            client.post(
                f"/api/v1/shops/{shop_id}/payments/{payment_id}/refunds/",
                {"amount": 1},
                format="json",
            ),
            404,
            "not-found",
        )
        problem(
            client.post(f"/api/v1/shops/{shop_id}/payment-requests/", {"amount": 1}, format="json"),
            404,
            "not-found",
        )
    assert Payment.objects.get().refunded == 0


def test_shop_request_preview_pay_poll_and_replay(shop, cashier, anna):
    till = client_for(cashier)
    made = till.post(f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 875}, format="json")
    assert made.status_code == 201
    created = made.json()
    assert created["payload"].startswith("HEITJE:1:R:")
    assert created["status"] == "open"
    status_url = f"/api/v1/shops/{shop.pk}/payment-requests/{created['id']}/"
    assert till.get(status_url).json()["status"] == "open"
    wallet = client_for(anna)
    preview = wallet.post(
        "/api/v1/wallet/pay-requests/", {"payload": created["payload"]}, format="json"
    )
    assert preview.status_code == 200
    assert (preview.json()["shop_name"], preview.json()["amount"]) == (shop.name, 875)
    assert Payment.objects.count() == 0
    paid = wallet.post(
        "/api/v1/wallet/pay-requests/pay/", {"payload": created["payload"]}, format="json"
    )
    assert paid.status_code == 201
    state = till.get(status_url)
    assert state["Cache-Control"] == "no-store"
    assert (state.json()["status"], state.json()["payment_id"]) == ("paid", paid.json()["id"])
    before = money_snapshot()
    replay = wallet.post(
        "/api/v1/wallet/pay-requests/pay/", {"payload": created["payload"]}, format="json"
    )
    problem(replay, 409, "request-not-open")
    assert money_snapshot() == before


def test_tampered_and_foreign_payloads_are_refused_over_http(settings, shop, cashier, anna):
    created = (
        client_for(cashier)
        .post(f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 875}, format="json")
        .json()
    )
    payload = created["payload"]
    wallet = client_for(anna)
    signed_part, signature = payload.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    cases = [
        (signed_part + "." + flipped, 422, "signature-invalid"),
        ("HEITJE:9:R:" + payload[11:], 422, "code-malformed"),
        ("HEITJE:1:P:abcdefghijklmnopqrstuvwx", 422, "code-malformed"),
    ]
    for tampered, status, code in cases:
        before = money_snapshot()
        problem(
            wallet.post("/api/v1/wallet/pay-requests/pay/", {"payload": tampered}, format="json"),
            status,
            code,
        )
        assert money_snapshot() == before
    settings.PAYMENT_SIGNING_KEY = new_pem()
    problem(
        wallet.post("/api/v1/wallet/pay-requests/pay/", {"payload": payload}, format="json"),
        422,
        "unknown-key",
    )
    problem(
        wallet.post("/api/v1/wallet/pay-requests/", {"payload": 12}, format="json"),
        422,
        "code-malformed",
    )
    problem(
        wallet.post("/api/v1/wallet/pay-requests/", {"payload": "x" * 601}, format="json"),
        400,
        "validation-error",
    )
    assert Payment.objects.count() == 0


def test_the_poster_names_the_shop_and_takes_a_typed_amount(shop, anna):
    wallet = client_for(anna)
    card = wallet.get("/api/v1/wallet/pay-shop/", {"shop": codes.shop_encode(shop.pk)})
    assert card.json() == {
        "shop_id": shop.pk,
        "shop_name": shop.name,
        "shop_label": f"{shop.name} · shop {shop.pk}",
        "address": shop.address,
    }
    body = {"shop": codes.shop_encode(shop.pk), "amount": 450, "idempotency_key": "tap-1"}
    first = wallet.post("/api/v1/wallet/pay-shop/", body, format="json")
    second = wallet.post("/api/v1/wallet/pay-shop/", body, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert balance(shop.account_id) == 450
    problem(
        wallet.post("/api/v1/wallet/pay-shop/", {"shop": "999999", "amount": 1}, format="json"),
        404,
        "not-found",
    )
    problem(
        wallet.post(
            "/api/v1/wallet/pay-shop/", {"shop": str(shop.pk), "amount": 10**7}, format="json"
        ),
        422,
        "limit-exceeded",
    )


def test_refunds_over_http(settings, shop, cashier, owner, anna):
    settings.CASHIER_REFUND_MAX = 500
    paid = client_for(anna).post(
        "/api/v1/wallet/pay-shop/", {"shop": str(shop.pk), "amount": 2_000}, format="json"
    )
    url = f"/api/v1/shops/{shop.pk}/payments/{paid.json()['id']}/refunds/"
    till = client_for(cashier)
    problem(till.post(url, {"amount": 501}, format="json"), 403, "not-allowed")
    made = till.post(url, {"amount": 500, "reason": "Wrong bread"}, format="json")
    assert made.status_code == 201
    assert (made.json()["payment_refunded"], made.json()["payment_refundable"]) == (500, 1_500)
    problem(client_for(owner).post(url, {"amount": 1_501}, format="json"), 422, "refund-refused")
    problem(
        till.post(url, {"amount": 1, "reason": "x" * 301}, format="json"), 400, "validation-error"
    )
    assert balance(anna.resident.wallet_id) == 20_000 - 2_000 + 500
    history = client_for(anna).get("/api/v1/wallet/payments/").json()
    assert (history[0]["refunded"], history[0]["refundable"]) == (500, 1_500)


def test_images_are_served_as_svg_and_png(shop, cashier):
    till = client_for(cashier)
    svg = till.get(f"/api/v1/shops/{shop.pk}/poster.svg")
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<svg")
    png = till.get(f"/api/v1/shops/{shop.pk}/poster.png")
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    problem(till.get(f"/api/v1/shops/{shop.pk}/poster.gif"), 404, "not-found")
    made = till.post(
        f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 300}, format="json"
    ).json()
    image = till.get(f"/api/v1/shops/{shop.pk}/payment-requests/{made['id']}/qr.svg")
    assert image["Content-Type"] == "image/svg+xml"


def test_a_cancelled_request_reads_cancelled(shop, cashier):
    till = client_for(cashier)
    made = till.post(f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 300}, format="json")
    url = f"/api/v1/shops/{shop.pk}/payment-requests/{made.json()['id']}/cancel/"
    assert till.post(url).json()["status"] == "cancelled"
    problem(till.post(url), 409, "request-not-open")
    assert PaymentRequest.objects.get().status == "cancelled"


def test_the_day_filter_validates_its_date(shop, cashier):
    till = client_for(cashier)
    problem(
        till.get(f"/api/v1/shops/{shop.pk}/payments/", {"date": "yesterday"}),
        400,
        "validation-error",
    )
    day = till.get(f"/api/v1/shops/{shop.pk}/payments/", {"date": "2020-01-01"}).json()
    assert (day["date"], day["total"], day["payments"]) == ("2020-01-01", 0, [])


def test_non_residents_have_no_pay_codes_and_anonymous_nothing(cashier, shop):
    problem(client_for(cashier).post("/api/v1/wallet/pay-codes/", {}), 403, "not-a-resident")
    response = APIClient().post("/api/v1/wallet/pay-codes/", {})
    assert response.status_code in (401, 403)
    problem(
        client_for(cashier).post("/api/v1/wallet/pay-codes/", {"confirm_up_to": -1}, format="json"),
        400,
        "validation-error",
    )


def test_the_keys_are_published_with_ids_and_status(client, settings, signing_key):
    response = client.get("/.well-known/heitje-payment-keys.json")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    [active] = body["keys"]
    assert active["kid"] == keys.signing_key_id()
    assert active["status"] == "active"
    raw = base64.urlsafe_b64decode(active["public_key"] + "=")
    assert len(raw) == 32
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = [public_pem(signing_key)]
    body = client.get("/.well-known/heitje-payment-keys.json").json()
    assert [(k["status"]) for k in body["keys"]] == ["active", "retired"]
    assert body["keys"][1]["kid"] == active["kid"]
    assert client.post("/.well-known/heitje-payment-keys.json").status_code == 405
