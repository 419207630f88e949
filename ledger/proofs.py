"""Inclusion proofs: that one transfer is in a sealed, signed block (docs/transparency.md).

A proof holds the transfer's canonical JSON (exactly the bytes the sealer hashed), the Merkle
path from its leaf to the block's root (the sibling hash at each level and which side it sits
on; a level where the node was carried up unpaired has no step), the block's header (exactly
the fields the sealer hashed) with its hash and Ed25519 signature. Anyone can check it with the
published public key and no other transfer: hash the transfer, fold the path, compare with the
header's root, hash the header, compare with the block hash, verify the signature
(`docs/verify_ledger.py proof`).

Blocks already are Merkle trees over their transfers (`ledger.sealing`), so proofs work for
every block ever sealed: nothing in the sealed history changes.
"""

import hashlib
import json
from typing import Any

from .models import Block, Transfer
from .sealing import block_header, merkle_levels, transfer_canonical, transfer_rows

PROOF_FORMAT = "heitje-inclusion-proof/1"


def merkle_path(leaves: list[bytes], index: int) -> list[dict[str, str]]:
    """The sibling hashes from leaf `index` up to the root of `ledger.sealing.merkle_root`'s
    tree (leaf H(0x00||h), node H(0x01||l||r), an odd node carried up unchanged)."""
    path = []
    for level in merkle_levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            side = "left" if sibling < index else "right"
            path.append({"side": side, "hash": level[sibling].hex()})
        index //= 2
    return path


def block_of(*, transfer_id: int) -> Block | None:
    """The sealed block holding the transfer; None while it is not sealed yet (or unknown)."""
    txid = Transfer.objects.filter(pk=transfer_id).values_list("txid", flat=True).first()
    if txid is None:
        return None
    return Block.objects.filter(txid_from__lte=txid, txid_to__gt=txid).first()


def transfer_proof(*, transfer_id: int) -> dict[str, Any] | None:
    """The inclusion proof of one transfer, or None while it is not in a sealed block.

    Reads the block's transfers to rebuild its tree; the proof carries only their hashes."""
    block = block_of(transfer_id=transfer_id)
    if block is None:
        return None
    leaves: list[bytes] = []
    index = -1
    canonical = b""
    for row in transfer_rows(block.txid_from, block.txid_to):
        data = transfer_canonical(row)
        if row[0] == transfer_id:
            index, canonical = len(leaves), data
        leaves.append(hashlib.sha256(data).digest())
    if index < 0:
        return None
    return {
        "format": PROOF_FORMAT,
        "transfer": canonical.decode(),
        "leaf_index": index,
        "path": merkle_path(leaves, index),
        "block": json.loads(block_header(block)),
        "block_hash": block.hash,
        "signature": block.signature,
    }


def block_head(block: Block) -> dict[str, Any]:
    """A block as published on the chain: the exact header, its hash and its signature."""
    return {
        "header": json.loads(block_header(block)),
        "hash": block.hash,
        "signature": block.signature,
    }
