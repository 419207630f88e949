"""The transparency page and the checks it documents: the published chain of block heads and a
resident's inclusion proof verify with docs/verify_ledger.py run as written, and one changed
byte (an amount, a path hash, a root) makes it fail."""

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from ledger import sealing
from ledger.models import Block, Transfer
from ledger.proofs import merkle_path
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(settings.BASE_DIR, "docs", "verify_ledger.py")
_spec = importlib.util.spec_from_file_location("verify_ledger", SCRIPT)
assert _spec is not None
assert _spec.loader is not None
verify_ledger = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verify_ledger)


def seal_all(seconds: float = 60.0) -> None:
    """Seal until every transfer is in a block (another session's open transaction may hold
    the horizon back for a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        sealing.ledger_seal()
        sealed = sum(Block.objects.values_list("transfer_count", flat=True))
        if sealed == Transfer.objects.count() or time.monotonic() > deadline:
            return


def run_script(tmp_path: Path, mode: str, subject: object, keys: object) -> tuple[int, str]:
    """The documented command, in a fresh Python process, on files as a visitor saves them."""
    (tmp_path / "subject.json").write_text(json.dumps(subject), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), mode, "subject.json", "keys.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout


@pytest.fixture
def resident_with_history(client):
    anna = factories.ResidentFactory.create(funded=2_500)
    shop = factories.ShopFactory.create()
    for amount in (100, 200, 300, 400):  # a few transfers, so the tree has some depth
        factories.mint(shop.account_id, amount)
    factories.mint(anna.resident.wallet_id, 1_234)
    seal_all()
    client.force_login(anna)
    return anna


def test_page_shows_supply_totals_per_kind_chain_and_keys(client, resident_with_history):
    page = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "37.34\xa0Heitje" in page  # 25.00 + 12.34 in the wallet
    kinds = page[page.index('id="table-kinds"') :]
    wallet_row = kinds[kinds.index('data-kind="wallet"') :]
    assert "37.34\xa0Heitje" in wallet_row[: wallet_row.index("</tr>")]
    head = Block.objects.order_by("-height").first()
    assert head.hash in page
    assert next(iter(sealing.verify_keys())) in page
    assert "Proofs for your own transfers" in page


def test_the_published_chain_verifies_and_a_changed_head_does_not(
    client, tmp_path, resident_with_history
):
    blocks = json.loads(b"".join(client.get("/transparency/blocks.json").streaming_content))
    keys = client.get("/api/v1/transparency/keys/").json()
    assert run_script(tmp_path, "chain", blocks, keys)[0] == 0

    blocks[-1]["header"]["transfer_count"] += 1
    code, output = run_script(tmp_path, "chain", blocks, keys)
    assert code == 1
    assert "does not hash" in output


def test_a_residents_proof_verifies_with_the_published_key(client, tmp_path, resident_with_history):
    wallet = resident_with_history.resident.wallet_id
    transfer = Transfer.objects.filter(entries__account_id=wallet).order_by("-id").first()
    response = client.get(f"/transparency/proofs/{transfer.pk}.json")
    assert response.status_code == 200
    proof = response.json()
    keys = client.get("/api/v1/transparency/keys/").json()
    code, output = run_script(tmp_path, "proof", proof, keys)
    assert (code, output.startswith("OK")) == (0, True), output
    # The proof holds the resident's own transfer and only hashes of the others.
    others = Transfer.objects.exclude(pk=transfer.pk).values_list("request_hash", flat=True)
    assert not any(other in json.dumps(proof) for other in others)

    changed_amount = dict(proof, transfer=proof["transfer"].replace("1234", "1235"))
    assert changed_amount["transfer"] != proof["transfer"]
    assert run_script(tmp_path, "proof", changed_amount, keys)[0] == 1

    if proof["path"]:
        step = proof["path"][0]
        flipped = ("0" if step["hash"][0] != "0" else "1") + step["hash"][1:]
        changed_path = dict(proof, path=[dict(step, hash=flipped), *proof["path"][1:]])
        assert run_script(tmp_path, "proof", changed_path, keys)[0] == 1

    root = proof["block"]["merkle_root"]
    changed_root = dict(proof, block=dict(proof["block"], merkle_root=root[::-1]))
    assert run_script(tmp_path, "proof", changed_root, keys)[0] == 1


def test_a_proof_of_someone_elses_transfer_is_not_given(client, resident_with_history):
    other = factories.ResidentFactory.create(funded=700)
    seal_all()
    theirs = Transfer.objects.filter(entries__account_id=other.resident.wallet_id).first()
    response = client.get(f"/transparency/proofs/{theirs.pk}.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "not one of your transfers" in response.content.decode()


@pytest.mark.parametrize("leaves", range(1, 12))
def test_every_leafs_path_folds_to_the_sealers_root(leaves):
    hashes = [bytes([i]) * 32 for i in range(leaves)]
    root = sealing.merkle_root(hashes)
    for index in range(leaves):
        proof = {"transfer": "", "path": merkle_path(hashes, index)}
        node = verify_ledger.hashlib.sha256(b"\x00" + hashes[index]).digest()
        for step in proof["path"]:
            pair = (bytes.fromhex(step["hash"]), node)
            left, right = pair if step["side"] == "left" else pair[::-1]
            node = verify_ledger.hashlib.sha256(b"\x01" + left + right).digest()
        assert node.hex() == root
