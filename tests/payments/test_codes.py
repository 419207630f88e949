"""The QR formats: signing and strict verification of shop payment requests (every tamper case
refused with its own reason), key ids and rotation, the resident's code and the poster code."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payments import codes, keys
from payments.errors import CodeExpired, CodeMalformed, PaymentError, SignatureInvalid, UnknownKey
from tests.payments.pay_fixtures import new_pem, public_pem

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def key_a(settings):
    pem = new_pem()
    settings.PAYMENT_SIGNING_KEY = pem
    settings.PAYMENT_VERIFY_KEYS = []
    return pem


def signed(**changes: Any) -> str:
    fields: dict[str, Any] = {
        "key_id": keys.signing_key_id(),
        "shop_id": 7,
        "amount": 1250,
        "currency": "HEITJE",
        "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
        "expires_at": NOW + timedelta(minutes=5),
    }
    fields.update(changes)
    return codes.request_encode(codes.SignedRequest(**fields))


def forge(fields: dict, key: Ed25519PrivateKey) -> str:
    body = codes.b64url_encode(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    text = codes.REQUEST_PREFIX + body
    return text + "." + codes.b64url_encode(key.sign(text.encode()))


def test_key_id_is_the_first_16_hex_of_the_sha256_of_the_raw_public_key(key_a):
    private = serialization.load_pem_private_key(key_a.encode(), password=None)
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert keys.signing_key_id() == hashlib.sha256(raw).hexdigest()[:16]
    [active] = keys.public_keys()
    assert (active.key_id, active.status) == (keys.signing_key_id(), "active")
    assert base64.urlsafe_b64decode(active.raw_b64url + "=") == raw


def test_a_signed_request_verifies_and_reads_back(key_a):
    payload = signed()
    assert payload.startswith("HEITJE:1:R:")
    request = codes.request_verify(payload, now=NOW)
    assert (request.shop_id, request.amount, request.currency) == (7, 1250, "HEITJE")
    assert request.expires_at == NOW + timedelta(minutes=5)
    body = json.loads(base64.urlsafe_b64decode(payload[11:].split(".")[0] + "=="))
    assert list(body) == sorted(body)  # canonical: sorted keys
    assert body == {
        "amount": 1250,
        "cur": "HEITJE",
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "kid": keys.signing_key_id(),
        "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
        "shop": 7,
    }


def test_signing_is_deterministic(key_a):
    assert signed() == signed()


def test_one_character_changed_anywhere_is_refused(key_a):
    payload = signed()
    for position, char in enumerate(payload):
        for replacement in {"A", "B", "z", "0", "_"} - {char}:
            tampered = payload[:position] + replacement + payload[position + 1 :]
            with pytest.raises(PaymentError):
                codes.request_verify(tampered, now=NOW)


def test_a_changed_amount_breaks_the_signature(key_a):
    payload = signed()
    body_text, signature = payload[len(codes.REQUEST_PREFIX) :].split(".")
    fields = json.loads(codes.b64url_decode(body_text))
    fields["amount"] = 1
    body = codes.b64url_encode(codes.canonical_json(fields))
    with pytest.raises(SignatureInvalid):
        codes.request_verify(f"{codes.REQUEST_PREFIX}{body}.{signature}", now=NOW)


def test_the_unused_bits_of_the_last_character_cannot_change(key_a):
    payload = signed()
    last = payload[-1]
    # the signature's 64 bytes leave 2 unused bits in the last base64url character
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]
    with pytest.raises(CodeMalformed):
        codes.request_verify(payload[:-1] + sibling, now=NOW)


def test_an_expired_request_is_refused(key_a):
    payload = signed(expires_at=NOW - timedelta(seconds=1))
    with pytest.raises(CodeExpired):
        codes.request_verify(payload, now=NOW)
    with pytest.raises(CodeExpired):
        codes.request_verify(signed(expires_at=NOW), now=NOW)


def test_an_unknown_key_id_is_refused(key_a):
    stranger = Ed25519PrivateKey.generate()
    fields = {
        "amount": 1250,
        "cur": "HEITJE",
        "exp": int(NOW.timestamp()) + 300,
        "kid": "0123456789abcdef",
        "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
        "shop": 7,
    }
    with pytest.raises(UnknownKey):
        codes.request_verify(forge(fields, stranger), now=NOW)


def test_forged_with_another_key_under_our_key_id_is_refused(key_a):
    stranger = Ed25519PrivateKey.generate()
    fields = {
        "amount": 1250,
        "cur": "HEITJE",
        "exp": int(NOW.timestamp()) + 300,
        "kid": keys.signing_key_id(),
        "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
        "shop": 7,
    }
    with pytest.raises(SignatureInvalid):
        codes.request_verify(forge(fields, stranger), now=NOW)


def test_our_key_over_a_non_canonical_body_is_refused(key_a):
    key = keys.signing_key()
    fields = {
        "shop": 7,
        "amount": 1250,
        "cur": "HEITJE",
        "exp": int(NOW.timestamp()) + 300,
        "kid": keys.signing_key_id(),
        "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
    }
    body = codes.b64url_encode(json.dumps(fields, separators=(", ", ": ")).encode())
    text = codes.REQUEST_PREFIX + body
    with pytest.raises(CodeMalformed):
        codes.request_verify(text + "." + codes.b64url_encode(key.sign(text.encode())), now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": True},
        {"amount": 0},
        {"amount": "1250"},
        {"amount": 12.5},
        {"cur": "heitje"},
        {"nonce": "short"},
        {"shop": -1},
        {"extra": 1},
    ],
)
def test_well_signed_but_wrongly_typed_fields_are_refused(key_a, change):
    fields = {
        "amount": 1250,
        "cur": "HEITJE",
        "exp": int(NOW.timestamp()) + 300,
        "kid": keys.signing_key_id(),
        "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
        "shop": 7,
        **change,
    }
    with pytest.raises(CodeMalformed):
        codes.request_verify(forge(fields, keys.signing_key()), now=NOW)


@pytest.mark.parametrize(
    "payload",
    ["", "HEITJE:2:R:abc.def", "HEITJE:1:P:abc", "OTHER:1:R:a.b", "HEITJE:1:R:" + "A" * 700, 42],
)
def test_other_texts_are_refused_as_malformed(key_a, payload):
    with pytest.raises(CodeMalformed):
        codes.request_verify(payload, now=NOW)


def test_after_a_rotation_codes_signed_with_the_retired_key_still_verify(settings, key_a):
    payload = signed()
    key_b = new_pem()
    settings.PAYMENT_SIGNING_KEY = key_b
    settings.PAYMENT_VERIFY_KEYS = [public_pem(key_a)]
    assert codes.request_verify(payload, now=NOW).amount == 1250
    statuses = [(k.status) for k in keys.public_keys()]
    assert statuses == ["active", "retired"]
    assert keys.public_keys()[1].key_id == codes.request_decode(payload)[0].key_id
    # new codes are signed with B
    assert codes.request_decode(signed())[0].key_id == keys.signing_key_id()
    assert keys.signing_key_id() != keys.public_keys()[1].key_id


def test_a_key_no_longer_listed_is_refused(settings, key_a):
    payload = signed()
    settings.PAYMENT_SIGNING_KEY = new_pem()
    settings.PAYMENT_VERIFY_KEYS = []
    with pytest.raises(UnknownKey):
        codes.request_verify(payload, now=NOW)


def test_only_the_active_key_signs(settings, key_a):
    with pytest.raises(ValueError):
        signed(key_id="0123456789abcdef")


def test_development_key_is_generated_once_under_var(settings, tmp_path):
    settings.PAYMENT_SIGNING_KEY = ""
    settings.PAYMENT_SIGNING_KEY_FILE = str(tmp_path / "key.pem")
    first = keys.signing_key_id()
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600
    assert keys.signing_key_id() == first


@pytest.mark.parametrize(
    ("text", "token", "short"),
    [
        ("HEITJE:1:P:abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx", None),
        ("abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx", None),
        ("1234 5678", None, "12345678"),
        (" 1234-5678 ", None, "12345678"),
    ],
)
def test_resident_codes_are_read_from_the_qr_text_the_token_or_the_short_code(text, token, short):
    assert codes.resident_code_parse(text) == codes.ResidentCode(token=token, short_code=short)


@pytest.mark.parametrize(
    "text",
    ["", "1234567", "123456789", "HEITJE:1:P:short", "HEITJE:1:R:x", "١٢٣٤٥٦٧٨", "x" * 700],
)
def test_other_resident_codes_are_malformed(text):
    with pytest.raises(CodeMalformed):
        codes.resident_code_parse(text)


def test_a_new_token_has_at_least_128_bits_and_a_short_code_8_digits():
    token = codes.token_new()
    assert len(codes.b64url_decode(token)) * 8 >= 128
    assert codes.pay_code_encode(token) == "HEITJE:1:P:" + token
    assert len(codes.token_hash(token)) == 64
    assert codes.short_code_new().isdigit()
    assert len(codes.short_code_new()) == 8


def test_the_poster_code_names_the_shop_only():
    assert codes.shop_encode(42) == "HEITJE:1:S:42"
    assert codes.shop_decode("HEITJE:1:S:42") == 42
    assert codes.shop_decode("42") == 42
    for bad in ["HEITJE:1:S:042", "HEITJE:1:S:-1", "HEITJE:1:S:", "HEITJE:1:P:42", "4" * 30]:
        with pytest.raises(CodeMalformed):
            codes.shop_decode(bad)


def test_the_example_in_the_docs_verifies(settings):
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    settings.PAYMENT_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.PAYMENT_VERIFY_KEYS = []
    example = (
        "HEITJE:1:R:eyJhbW91bnQiOjg3NSwiY3VyIjoiSEVJVEpFIiwiZXhwIjoxNzk1MzQ5MTAwLCJraWQiOiI1NjQ3NWFh"
        "NzU0NjM0NzRjIiwibm9uY2UiOiJxM04wYlc5eVoyVnVMV0p5YjI5a0FBIiwic2hvcCI6MTJ9.5JC5NiHn26goTnilav9B"
        "1mj5oZ-1y1ExGbGqkpV2fkaEtP6zwwx0bSnyRZ6Q314lq96C9kYLQC4meweT1saYDg"
    )
    request = codes.request_verify(example, now=NOW)
    assert (request.key_id, request.shop_id, request.amount) == ("56475aa75463474c", 12, 875)
    assert keys.public_keys()[0].raw_b64url == "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
