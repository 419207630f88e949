"""Tamper evidence: signed blocks over the transfers, chained by hash.

A block covers every transfer whose inserting transaction id (`Transfer.txid`) lies in
[txid_from, txid_to), where txid_to is the xmin of a snapshot taken when sealing: every
transaction below it has ended, so no transfer can join that range later. Writers only stamp a
column default; the sealer reads, so the chain never serialises them.

Hashes (SHA-256, hex):
- transfer: over the canonical JSON of the transfer and its entries (`transfer_canonical`);
- Merkle root: leaves H(0x00 || transfer hash), nodes H(0x01 || left || right), an odd node
  carried up unchanged; the root of no leaves is not used (empty blocks are not sealed);
- block: over the canonical JSON of the header (`block_header`), chained by `prev_hash`
  (64 zeros for the first block), and signed with Ed25519 by the key `key_id` names.
"""

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Block, Transfer
from .progress import tracked

GENESIS_HASH = "0" * 64
SEAL_LOCK_KEY = 0x1ED6E5EA1  # pg_advisory_xact_lock key: one sealer at a time

_TRANSFERS_SQL = """
SELECT t.id, t.currency_id, t.kind, t.idempotency_scope, t.idempotency_key, t.request_hash,
       t.reverses_id, t.metadata, t.actor_id, t.created_at,
       coalesce(json_agg(json_build_array(e.account_id, e.amount, e.balance_after,
                                          e.account_version) ORDER BY e.account_id)
                FILTER (WHERE e.id IS NOT NULL), '[]'::json)
  FROM ledger_transfer t LEFT JOIN ledger_entry e ON e.transfer_id = t.id
 WHERE t.txid >= %s AND t.txid < %s
 GROUP BY t.id
 ORDER BY t.id
"""


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def transfer_canonical(row: tuple[Any, ...]) -> bytes:
    (
        tid,
        currency_id,
        kind,
        scope,
        key,
        request_hash,
        reverses_id,
        metadata,
        actor_id,
        created,
        legs,
    ) = row
    return _canonical(
        {
            "v": 1,
            "id": tid,
            "currency": currency_id,
            "kind": kind,
            "idempotency": [scope, key],
            "request_hash": request_hash,
            "reverses": reverses_id,
            "metadata": metadata,
            "actor": actor_id,
            "created_at": created.astimezone(UTC).isoformat(),
            "entries": legs,
        }
    )


def merkle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """The tree's levels, from the hashed leaves up to the root: leaf H(0x00||h), node
    H(0x01||l||r), an odd node carried up unchanged."""
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    levels = [level]
    while len(level) > 1:
        nxt = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
        levels.append(level)
    return levels


def merkle_root(leaves: list[bytes]) -> str:
    return merkle_levels(leaves)[-1][0].hex()


def block_header(block: Block) -> bytes:
    return _canonical(
        {
            "v": 1,
            "height": block.height,
            "prev_hash": block.prev_hash,
            "merkle_root": block.merkle_root,
            "txid_from": block.txid_from,
            "txid_to": block.txid_to,
            "first_transfer_id": block.first_transfer_id,
            "last_transfer_id": block.last_transfer_id,
            "transfer_count": block.transfer_count,
            "sealed_at": block.sealed_at.astimezone(UTC).isoformat(),
            "key_id": block.key_id,
        }
    )


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def development_key_pem(path: Path) -> str:
    """A development Ed25519 private key (PEM) kept at `path` (owner-only), generated on first
    use; when another process generates it at the same moment, theirs is used."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text()
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return path.read_text()


def signing_key() -> Ed25519PrivateKey:
    """The block-signing key: LEDGER_SIGNING_KEY (PEM), else a development key under var/,
    generated on first use."""
    pem = settings.LEDGER_SIGNING_KEY or development_key_pem(Path(settings.LEDGER_SIGNING_KEY_FILE))
    loaded = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError("LEDGER_SIGNING_KEY must be an Ed25519 private key.")
    return loaded


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """Public keys blocks may be signed with, by key id: the current one and retired ones."""
    keys = {}
    current = signing_key().public_key()
    keys[key_id_of(current)] = current
    for pem in settings.LEDGER_VERIFY_KEYS:
        public = serialization.load_pem_public_key(pem.encode())
        if isinstance(public, Ed25519PublicKey):
            keys[key_id_of(public)] = public
    return keys


def transfer_rows(txid_from: int, txid_to: int) -> Iterator[tuple[Any, ...]]:
    """The transfers of a txid range with their entries, in id order, streamed."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(_TRANSFERS_SQL, [txid_from, txid_to])
        while rows := cursor.fetchmany(2000):
            yield from rows


def ledger_seal() -> Block | None:
    """Seal every transfer that has become final since the last block into a signed block.

    Returns None when there was nothing new. Safe to run concurrently (an advisory lock lets one
    sealer work at a time) and never blocks writers.
    """
    key = signing_key()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            horizon = int(cursor.fetchone()[0])
        head = Block.objects.order_by("-height").first()
        txid_from = head.txid_to if head else 0
        if horizon <= txid_from:
            return None
        hashes: list[bytes] = []
        first = last = None
        rows = transfer_rows(txid_from, horizon)
        in_range = Transfer.objects.filter(txid__gte=txid_from, txid__lt=horizon).count
        for row in tracked(rows, total=in_range, what="transfers"):
            hashes.append(hashlib.sha256(transfer_canonical(row)).digest())
            first = row[0] if first is None else first
            last = row[0]
        if not hashes:
            return None
        block = Block(
            height=(head.height + 1) if head else 1,
            txid_from=txid_from,
            txid_to=horizon,
            first_transfer_id=first,
            last_transfer_id=last,
            transfer_count=len(hashes),
            merkle_root=merkle_root(hashes),
            prev_hash=head.hash if head else GENESIS_HASH,
            key_id=key_id_of(key.public_key()),
            sealed_at=timezone.now().replace(microsecond=0),
        )
        digest = hashlib.sha256(block_header(block)).digest()
        block.hash = digest.hex()
        block.signature = key.sign(digest).hex()
        block.save(force_insert=True)
    return block


def block_recompute(block: Block) -> tuple[int, str, int | None, int | None]:
    """Count, Merkle root and id range of the transfers the block's range holds now."""
    hashes: list[bytes] = []
    first = last = None
    for row in transfer_rows(block.txid_from, block.txid_to):
        hashes.append(hashlib.sha256(transfer_canonical(row)).digest())
        first = row[0] if first is None else first
        last = row[0]
    return len(hashes), (merkle_root(hashes) if hashes else ""), first, last


def signature_valid(block: Block, keys: dict[str, Ed25519PublicKey]) -> bool:
    public = keys.get(block.key_id)
    if public is None:
        return False
    try:
        public.verify(bytes.fromhex(block.signature), bytes.fromhex(block.hash))
    except (InvalidSignature, ValueError):
        return False
    return True
