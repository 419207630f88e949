"""The Ed25519 keys of the shops' signed payment requests (docs/qr.md).

- Signing: PAYMENT_SIGNING_KEY (PEM, PKCS#8) in production; in development, when it is empty, a
  key generated once under var/ (PAYMENT_SIGNING_KEY_FILE), as the ledger does for its blocks.
- Verifying: the signing key's public half ("active") and every public key (PEM) listed in
  PAYMENT_VERIFY_KEYS ("retired"), so that codes shown before a rotation keep verifying until
  they expire.
- Key id: the first 16 hex digits of the SHA-256 of the raw 32-byte public key.
"""

import base64
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ledger.sealing import development_key_pem, key_id_of

ACTIVE = "active"
RETIRED = "retired"


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    key: Ed25519PublicKey
    status: str  # ACTIVE or RETIRED

    @property
    def raw_b64url(self) -> str:
        raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()


@lru_cache(maxsize=8)
def _load_private(pem: str) -> Ed25519PrivateKey:
    try:
        loaded = serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PAYMENT_SIGNING_KEY is not a PEM private key: {exc}") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ImproperlyConfigured("PAYMENT_SIGNING_KEY must be an Ed25519 private key.")
    return loaded


@lru_cache(maxsize=32)
def _load_public(pem: str) -> Ed25519PublicKey:
    try:
        loaded = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ImproperlyConfigured(f"A PAYMENT_VERIFY_KEYS entry is not a PEM key: {exc}") from exc
    if not isinstance(loaded, Ed25519PublicKey):
        raise ImproperlyConfigured("PAYMENT_VERIFY_KEYS holds Ed25519 public keys only.")
    return loaded


def signing_key() -> Ed25519PrivateKey:
    """The key that signs new payment requests."""
    pem = settings.PAYMENT_SIGNING_KEY or development_key_pem(
        Path(settings.PAYMENT_SIGNING_KEY_FILE)
    )
    return _load_private(pem)


def signing_key_id() -> str:
    return key_id_of(signing_key().public_key())


def public_keys() -> list[PublicKey]:
    """Every key a payment request may be signed with: the active one first, then the retired
    ones in the order configured. A retired key equal to the active one is listed once."""
    active = signing_key().public_key()
    keys = [PublicKey(key_id_of(active), active, ACTIVE)]
    seen = {keys[0].key_id}
    for pem in settings.PAYMENT_VERIFY_KEYS:
        public = _load_public(pem.strip())
        key_id = key_id_of(public)
        if key_id not in seen:
            seen.add(key_id)
            keys.append(PublicKey(key_id, public, RETIRED))
    return keys


def verify_key(key_id: str) -> PublicKey | None:
    """The active or retired key with this id, or None."""
    return next((k for k in public_keys() if k.key_id == key_id), None)
