"""The API frame: problem+json errors with stable types, the public transparency endpoints and a
valid OpenAPI schema."""

import time

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.problems import CONTENT_TYPE, problem_exception_handler
from ledger import sealing, services
from ledger.errors import IdempotencyConflict, InsufficientFunds, InvalidTransfer
from ledger.models import Block


@pytest.fixture
def api():
    return APIClient()


def test_transparency_shows_supply_and_a_head_that_verifies(
    api, open_account, currency, transactional_db
):
    open_account("budget", funded=12_345)
    deadline = time.monotonic() + 15  # another session on the server may hold a seal back
    while (block := sealing.ledger_seal()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert block is not None
    response = api.get("/api/v1/transparency/")
    assert response.status_code == 200
    data = response.json()
    assert {"code": "HEITJE", "name": "Heitje", "decimals": 2, "supply": 12_345} in data[
        "currencies"
    ]
    if block is not None:  # another session on the server may hold the seal back a moment
        assert data["head"]["hash"] == block.hash
        keys = {k["key_id"]: k for k in api.get("/api/v1/transparency/keys/").json()}
        assert sealing.signature_valid(
            Block.objects.get(hash=data["head"]["hash"]), sealing.verify_keys()
        )
        assert data["head"]["key_id"] in keys
        assert keys[data["head"]["key_id"]]["public_key_pem"].startswith(
            "-----BEGIN PUBLIC KEY-----"
        )


def test_unknown_api_address_is_problem_json(api, db):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json() == {
        "type": "/problems/not-found",
        "title": "There is nothing at this address.",
        "status": 404,
        "request_id": response["X-Request-ID"],
    }


def test_wrong_method_is_problem_json_and_changes_nothing(api, db):
    response = api.post("/api/v1/transparency/", {"supply": 10**9}, format="json")
    assert response.status_code == 405
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json()["type"] == "/problems/method-not-allowed"


def test_schema_is_served_and_valid(api, db):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/transparency/" in schema["paths"]
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_docs_page_renders(client, db):
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize(
    ("error", "status", "type_"),
    [
        (InsufficientFunds(3, 100, 250), 409, "/problems/insufficient-funds"),
        (IdempotencyConflict("till", "7", 12), 409, "/problems/idempotency-conflict"),
        (InvalidTransfer("The legs sum to 5, not zero."), 422, "/problems/invalid-transfer"),
    ],
)
def test_domain_errors_map_to_stable_problem_types(error, status, type_):
    response = problem_exception_handler(error, {})
    assert response is not None
    assert response.status_code == status
    assert response.data["type"] == type_
    assert response.data["title"] == error.message
    assert response.content_type == CONTENT_TYPE


def test_a_real_refusal_reads_as_a_person_would_want(open_account):
    wallet, shop = open_account("wallet", funded=100), open_account("shop")
    try:
        services.transfer_post(
            kind="payment",
            legs=services.legs_between(source_id=wallet.id, destination_id=shop.id, amount=250),
        )
    except InsufficientFunds as refusal:
        response = problem_exception_handler(refusal, {})
    assert response is not None
    assert (
        response.data["title"]
        == f"Account #{wallet.id} has 100 but 250 was asked (minor units): 150 short."
    )


def test_unknown_page_is_a_friendly_sentence_not_json(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page." in response.content.decode()
