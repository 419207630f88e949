"""The three QR formats, byte for byte (docs/qr.md):

- resident's pay code:    HEITJE:1:P:<token>            token: 24 base64url characters (144 bits)
- shop's payment request: HEITJE:1:R:<body>.<signature> body: base64url of canonical JSON,
                                                         signature: base64url of Ed25519 over
                                                         the ASCII text "HEITJE:1:R:<body>"
- static shop poster:     HEITJE:1:S:<shop id>          decimal, no sign, no leading zeros

base64url is RFC 4648 section 5 without padding. Parsing is strict: a code is accepted only if
encoding what was decoded gives back exactly the same characters, so no byte of a code can
change without the code being refused.
"""

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from django.utils.translation import gettext as _

from . import keys
from .errors import CodeExpired, CodeMalformed, SignatureInvalid, UnknownKey

PREFIX = "HEITJE"
VERSION = 1
PAY_PREFIX = f"{PREFIX}:{VERSION}:P:"
REQUEST_PREFIX = f"{PREFIX}:{VERSION}:R:"
SHOP_PREFIX = f"{PREFIX}:{VERSION}:S:"
CODE_MAX = 600  # characters; a payment request is about 250
TOKEN_BYTES = 18  # 144 bits, 24 base64url characters
SHORT_CODE_DIGITS = 8
REQUEST_SHORT_DIGITS = 9  # a shop's request: one digit more, so the two kinds never look alike
NONCE_BYTES = 16  # 128 bits, 22 base64url characters

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{24}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{22}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_CURRENCY = re.compile(r"[A-Z][A-Z0-9]{1,22}[A-Z0-9]")
_SHOP_ID = re.compile(r"[1-9][0-9]{0,17}")
_SHORT = re.compile(r"[0-9]{8}")
_REQUEST_SHORT = re.compile(r"[0-9]{9}")
_REQUEST_FIELDS = frozenset({"amount", "cur", "exp", "kid", "nonce", "shop"})


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the base64url alphabet, no padding, and the canonical encoding of its bytes
    (the unused low bits of the last character must be zero)."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise CodeMalformed(_("This code is not readable."))
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise CodeMalformed(_("This code is not readable.")) from None
    if b64url_encode(data) != text:
        raise CodeMalformed(_("This code is not readable."))
    return data


def canonical_json(value: dict[str, object]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# --- resident's pay code -------------------------------------------------------------------


def token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def short_code_new() -> str:
    return f"{secrets.randbelow(10**SHORT_CODE_DIGITS):0{SHORT_CODE_DIGITS}d}"


def pay_code_encode(token: str) -> str:
    return PAY_PREFIX + token


@dataclass(frozen=True)
class ResidentCode:
    """What a cashier entered: a scanned token or a typed short code (exactly one is set)."""

    token: str | None = None
    short_code: str | None = None


def resident_code_parse(code: str) -> ResidentCode:
    """Read what the till sent: the whole QR text, the bare token, or the 8-digit short code
    (spaces and dashes between its digits are ignored)."""
    text = (code or "").strip()
    if not text or len(text) > CODE_MAX:
        raise CodeMalformed(_("Scan the resident's code or type its 8 digits."))
    if text.startswith(PREFIX + ":"):
        if not text.startswith(PAY_PREFIX):
            raise CodeMalformed(_("This is not a resident's pay code."))
        text = text[len(PAY_PREFIX) :]
        if not _TOKEN.fullmatch(text):
            raise CodeMalformed(_("This code is not readable."))
        return ResidentCode(token=text)
    digits = re.sub(r"[\s-]", "", text)
    if digits.isascii() and digits.isdigit():
        if not _SHORT.fullmatch(digits):
            raise CodeMalformed(_("A short code has exactly 8 digits."))
        return ResidentCode(short_code=digits)
    if _TOKEN.fullmatch(text):
        return ResidentCode(token=text)
    raise CodeMalformed(_("Scan the resident's code or type its 8 digits."))


# --- shop's payment request ----------------------------------------------------------------


@dataclass(frozen=True)
class SignedRequest:
    key_id: str
    shop_id: int
    amount: int
    currency: str
    nonce: str
    expires_at: datetime


def nonce_new() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def request_encode(request: SignedRequest) -> str:
    """Sign a payment request with the active key; `request.key_id` must be that key's id."""
    if request.key_id != keys.signing_key_id():
        raise ValueError("A payment request is signed with the active key only.")
    body = b64url_encode(
        canonical_json(
            {
                "amount": request.amount,
                "cur": request.currency,
                "exp": int(request.expires_at.timestamp()),
                "kid": request.key_id,
                "nonce": request.nonce,
                "shop": request.shop_id,
            }
        )
    )
    signed = REQUEST_PREFIX + body
    signature = keys.signing_key().sign(signed.encode("ascii"))
    return f"{signed}.{b64url_encode(signature)}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def request_decode(payload: str) -> tuple[SignedRequest, str, bytes]:
    """Parse a payment request without checking its signature: the request, the signed text
    and the signature. Raises CodeMalformed for anything but the exact format."""
    text = payload if isinstance(payload, str) else ""
    if not text.startswith(PREFIX + ":"):
        raise CodeMalformed(_("This is not a Heitje payment code."))
    if not text.startswith(f"{PREFIX}:{VERSION}:"):
        raise CodeMalformed(_("This payment code has a version this app does not know."))
    if not text.startswith(REQUEST_PREFIX):
        raise CodeMalformed(_("This is not a shop's payment request."))
    if len(text) > CODE_MAX or text.count(".") != 1:
        raise CodeMalformed(_("This code is not readable."))
    signed, signature_text = text.split(".")
    body = b64url_decode(signed[len(REQUEST_PREFIX) :])
    signature = b64url_decode(signature_text)
    if len(signature) != 64:
        raise CodeMalformed(_("This code is not readable."))
    try:
        fields = json.loads(body.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise CodeMalformed(_("This code is not readable.")) from None
    if (
        not isinstance(fields, dict)
        or set(fields) != _REQUEST_FIELDS
        or canonical_json(fields) != body
        or not _is_int(fields["amount"])
        or not 0 < fields["amount"] < 10**15
        or not isinstance(fields["cur"], str)
        or not _CURRENCY.fullmatch(fields["cur"])
        or not _is_int(fields["exp"])
        # Up to the end of year 9999: later ones cannot be dates.
        or not 0 < fields["exp"] < 253_402_300_800
        or not isinstance(fields["kid"], str)
        or not _KEY_ID.fullmatch(fields["kid"])
        or not isinstance(fields["nonce"], str)
        or not _NONCE.fullmatch(fields["nonce"])
        or not _is_int(fields["shop"])
        or not 0 < fields["shop"] < 2**63
    ):
        raise CodeMalformed(_("This code is not readable."))
    request = SignedRequest(
        key_id=fields["kid"],
        shop_id=fields["shop"],
        amount=fields["amount"],
        currency=fields["cur"],
        nonce=fields["nonce"],
        expires_at=datetime.fromtimestamp(fields["exp"], tz=UTC),
    )
    return request, signed, signature


def request_verify(payload: str, *, now: datetime) -> SignedRequest:
    """A payment request whose format, key id, signature and expiry all check out.

    The key is the active one or a retired one (PAYMENT_VERIFY_KEYS), so requests signed just
    before a rotation still verify. Checking that the request exists, is open and matches what
    the database holds is the service's job."""
    request, signed, signature = request_decode(payload)
    public = keys.verify_key(request.key_id)
    if public is None:
        raise UnknownKey(_("This payment code was signed with a key this app does not know."))
    try:
        public.key.verify(signature, signed.encode("ascii"))
    except InvalidSignature:
        raise SignatureInvalid(
            _("This payment code's signature does not match: it was changed or forged.")
        ) from None
    if request.expires_at <= now:
        raise CodeExpired(_("This payment code has expired. Ask the shop for a new one."))
    return request


def request_short_code_new() -> str:
    return f"{secrets.randbelow(10**REQUEST_SHORT_DIGITS):0{REQUEST_SHORT_DIGITS}d}"


def request_short_code_parse(text: str) -> str | None:
    """The 9 digits of a shop's typed request code ("123 456 789"; spaces and dashes between
    digits are ignored), or None when `text` is not made of digits at all (a scanned code).
    Digits of another length are refused with a sentence that says how many there are."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    if not _REQUEST_SHORT.fullmatch(digits):
        raise CodeMalformed(_("A shop's code has exactly 9 digits."), field="payload")
    return digits


def short_code_groups(code: str) -> str:
    """Digits in groups of three for reading out and typing: "123 456 789"."""
    return " ".join(code[i : i + 3] for i in range(0, len(code), 3))


# --- static shop poster --------------------------------------------------------------------


def shop_encode(shop_id: int) -> str:
    return f"{SHOP_PREFIX}{shop_id}"


def shop_decode(payload: str) -> int:
    """The shop id of a poster code; a bare shop id (digits) is accepted too."""
    text = (payload if isinstance(payload, str) else "").strip()
    if text.startswith(PREFIX + ":"):
        if not text.startswith(SHOP_PREFIX):
            raise CodeMalformed(_("This is not a shop's poster code."))
        text = text[len(SHOP_PREFIX) :]
    if not _SHOP_ID.fullmatch(text) or int(text) >= 2**63:
        raise CodeMalformed(_("This is not a shop's poster code."))
    return int(text)
