#!/usr/bin/env python3
"""Check Heitje's published ledger seals yourself, without the server's code.

Needs Python 3.11+ and the `cryptography` package (pip install cryptography). Steps and formats:
docs/transparency.md.

    python3 verify_ledger.py chain blocks.json keys.json
    python3 verify_ledger.py proof proof.json keys.json

blocks.json is /transparency/blocks.json (every signed block head), keys.json is
/api/v1/transparency/keys/ (the public keys), proof.json a proof a resident downloaded for one
of their transfers. Prints "OK ..." and exits 0, or names every problem and exits 1.
"""

import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PROOF_FORMAT = "heitje-inclusion-proof/1"
GENESIS_HASH = "0" * 64


def canonical(value: Any) -> bytes:
    """The server's canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def load_keys(published: list[dict[str, str]]) -> dict[str, Ed25519PublicKey]:
    """The public keys by key id; the id is recomputed from the key, never taken on trust."""
    keys = {}
    for entry in published:
        key = serialization.load_pem_public_key(entry["public_key_pem"].encode())
        if isinstance(key, Ed25519PublicKey):
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            keys[hashlib.sha256(raw).hexdigest()[:16]] = key
    return keys


def head_problems(header: dict[str, Any], block_hash: str, signature: str, keys: dict) -> list:
    """A block head: its hash is over its header, and its signature verifies."""
    name = f"block {header.get('height')}"
    if hashlib.sha256(canonical(header)).hexdigest() != block_hash:
        return [f"{name}: the header does not hash to {block_hash}"]
    key = keys.get(header.get("key_id", ""))
    if key is None:
        return [f"{name}: signed by unknown key {header.get('key_id')}"]
    try:
        key.verify(bytes.fromhex(signature), bytes.fromhex(block_hash))
    except (InvalidSignature, ValueError):
        return [f"{name}: the signature does not verify"]
    return []


def chain_problems(blocks: list[dict[str, Any]], keys: dict) -> list[str]:
    """Every head verifies, and each links to the one before (hash, height, transaction range)."""
    problems: list[str] = []
    previous: dict[str, Any] | None = None
    for block in sorted(blocks, key=lambda b: b["header"]["height"]):
        header = block["header"]
        problems += head_problems(header, block["hash"], block["signature"], keys)
        if previous is None:
            if header["height"] == 1 and header["prev_hash"] != GENESIS_HASH:
                problems.append("block 1: does not start the chain")
        else:
            if header["height"] != previous["header"]["height"] + 1:
                problems.append(f"block {header['height']}: a block is missing before it")
            if header["prev_hash"] != previous["hash"]:
                problems.append(f"block {header['height']}: does not link to the block before")
            if header["txid_from"] != previous["header"]["txid_to"]:
                problems.append(f"block {header['height']}: its range does not follow on")
        previous = block
    return problems


def proof_problems(proof: dict[str, Any], keys: dict) -> list[str]:
    """The transfer's leaf, folded up its path, gives the root of a block head that verifies."""
    if proof.get("format") != PROOF_FORMAT:
        return [f"not a {PROOF_FORMAT} proof"]
    header = proof["block"]
    node = hashlib.sha256(b"\x00" + hashlib.sha256(proof["transfer"].encode()).digest()).digest()
    for step in proof["path"]:
        sibling = bytes.fromhex(step["hash"])
        if step["side"] == "left":
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
        elif step["side"] == "right":
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        else:
            return [f"a path step has side {step['side']!r}"]
    problems = []
    if node.hex() != header["merkle_root"]:
        problems.append("the transfer and its path do not lead to the block's Merkle root")
    transfer_id = json.loads(proof["transfer"]).get("id")
    first, last = header["first_transfer_id"], header["last_transfer_id"]
    if not (isinstance(transfer_id, int) and first <= transfer_id <= last):
        problems.append(f"transfer {transfer_id} lies outside the block's transfers")
    return problems + head_problems(header, proof["block_hash"], proof["signature"], keys)


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in {"chain", "proof"}:
        sys.stderr.write(__doc__ or "")
        return 2
    with open(argv[2], encoding="utf-8") as handle:
        subject = json.load(handle)
    with open(argv[3], encoding="utf-8") as handle:
        keys = load_keys(json.load(handle))
    if argv[1] == "chain":
        problems = chain_problems(subject, keys)
        summary = f"OK: {len(subject)} blocks, every signature verifies and the chain is whole"
    else:
        problems = proof_problems(subject, keys)
        transfer = json.loads(subject["transfer"])
        summary = f"OK: transfer {transfer['id']} is in signed block {subject['block']['height']}"
    sys.stdout.write("".join(f"{problem}\n" for problem in problems) or f"{summary}\n")
    if problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
