"""Public, cacheable: the public keys that sign shops' payment requests (docs/qr.md)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from core.routes import Routes

from . import codes, keys

routes = Routes()

MAX_AGE = 300  # seconds; a new key is announced well before it signs (docs/qr.md)


@routes("heitje-payment-keys.json", name="payment-keys-well-known")
@require_GET
@cache_control(public=True, max_age=MAX_AGE)
def payment_keys(request: HttpRequest) -> JsonResponse:
    """{"format": "HEITJE:1", "algorithm": "Ed25519", "keys": [{"kid", "status", "public_key",
    "pem"}]}: the active key first, then the retired ones still accepted. `public_key` is the
    raw 32-byte key in base64url; `kid` the first 16 hex of its SHA-256."""
    body = {
        "format": f"{codes.PREFIX}:{codes.VERSION}",
        "algorithm": "Ed25519",
        "keys": [
            {"kid": k.key_id, "status": k.status, "public_key": k.raw_b64url, "pem": k.pem}
            for k in keys.public_keys()
        ],
    }
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    return response
