"""Tampering by someone who can switch the database's guards off (a superuser) is caught by
`manage.py ledger_verify`, which exits 1 and names what was broken.

Each test first seals the ledger and checks that it verifies, so that the failure afterwards is
the tampering's doing. `session_replication_role = replica` turns off triggers, the append-only
guards and the foreign-key checks alike; CHECK constraints still hold."""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger import sealing, services
from ledger.models import Block, TransferKind
from ledger.services import Leg, legs_between

pytestmark = pytest.mark.django_db(transaction=True)


def tamper(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


def verify_fails(capsys) -> str:
    """Run `manage.py ledger_verify`, which must fail; return what it printed to stderr."""
    with pytest.raises(CommandError, match=r"ledger BROKEN \(\d+ problems\)") as caught:
        call_command("ledger_verify")
    assert caught.value.returncode == 1
    return capsys.readouterr().err


@pytest.fixture
def sealed(open_account, seal_all, capsys):
    """A sealed, verified ledger: a budget pays a wallet, the wallet pays a shop and the
    community fund; then one more payment after the seal."""
    budget = open_account("budget", funded=10_000)
    wallet = open_account("wallet")
    shop = open_account("shop")
    fund = open_account("fund")
    payout = services.transfer_post(
        kind=TransferKind.PAYOUT,
        legs=legs_between(source_id=budget.id, destination_id=wallet.id, amount=1_500),
        metadata={"claim": 17},
    )
    payment = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=[Leg(wallet.id, -1_000), Leg(shop.id, 900), Leg(fund.id, 100)],
        metadata={"shop": "Bakkerij Jansen"},
    )
    block = seal_all()
    unsealed = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=200),
    )
    call_command("ledger_verify")
    assert "ledger ok" in capsys.readouterr().out
    return {
        "budget": budget,
        "wallet": wallet,
        "shop": shop,
        "fund": fund,
        "payout": payout,
        "payment": payment,
        "unsealed": unsealed,
        "block": block,
    }


def test_edited_entry_amount_is_named(sealed, capsys):
    payment, shop = sealed["payment"], sealed["shop"]
    tamper(
        "UPDATE ledger_entry SET amount = 1900 WHERE transfer_id = %s AND account_id = %s",
        [payment.id, shop.id],
    )
    err = verify_fails(capsys)
    assert f"transfer #{payment.id} does not balance: 3 entries, sum 1000, 1 currencies" in err
    assert f"account #{shop.id}: cached balance 1100" in err
    assert f"account #{shop.id}: history breaks at version 1 (transfer #{payment.id})" in err
    assert f"block {sealed['block'].height}: sealed" in err
    assert "Merkle root differs" in err


def test_edited_entry_in_an_unsealed_transfer_is_still_named(sealed, capsys):
    """Accounting alone catches it: the balances no longer add up."""
    unsealed, wallet = sealed["unsealed"], sealed["wallet"]
    tamper(
        "UPDATE ledger_entry SET amount = -20 WHERE transfer_id = %s AND account_id = %s",
        [unsealed.id, wallet.id],
    )
    err = verify_fails(capsys)
    assert f"transfer #{unsealed.id} does not balance" in err
    assert f"account #{wallet.id}: cached balance 300" in err
    assert "block" not in err


def test_deleted_transfer_is_named(sealed, capsys):
    payout = sealed["payout"]
    tamper("DELETE FROM ledger_transfer WHERE id = %s", [payout.id])
    err = verify_fails(capsys)
    assert f"transfer #{payout.id} is missing but 2 of its entries remain" in err
    block = sealed["block"]
    assert (
        f"block {block.height}: sealed {block.transfer_count} transfers "
        f"#{block.first_transfer_id}..#{block.last_transfer_id}, now holds "
        f"{block.transfer_count - 1}"
    ) in err


def test_rewritten_sealed_metadata_is_named_by_its_block(sealed, capsys):
    """Changing who was paid, in a way that keeps every balance right, only the seal shows."""
    payment, block = sealed["payment"], sealed["block"]
    tamper(
        'UPDATE ledger_transfer SET metadata = \'{"shop": "Someone Else"}\' WHERE id = %s',
        [payment.id],
    )
    err = verify_fails(capsys)
    assert err.strip().splitlines() == [
        f"block {block.height}: sealed {block.transfer_count} transfers "
        f"#{block.first_transfer_id}..#{block.last_transfer_id}, now holds "
        f"{block.transfer_count} (#{block.first_transfer_id}..#{block.last_transfer_id}); "
        "Merkle root differs"
    ]


@pytest.mark.parametrize(
    ("column", "value", "problems"),
    [
        pytest.param(
            "merkle_root",
            "ab" * 32,
            ["Merkle root differs", "header does not match its hash"],
            id="merkle-root",
        ),
        pytest.param("signature", "00" * 64, ["signature does not verify"], id="signature-zeroed"),
        pytest.param("key_id", "0" * 16, ["signature does not verify"], id="unknown-key"),
        pytest.param(
            "prev_hash", "f" * 64, ["does not link", "header does not match"], id="prev-hash"
        ),
    ],
)
def test_edited_block_is_named(sealed, capsys, column, value, problems):
    block = sealed["block"]
    tamper(f"UPDATE ledger_block SET {column} = %s WHERE id = %s", [value, block.id])
    err = verify_fails(capsys)
    for problem in problems:
        assert f"block {block.height}: " in err
        assert problem in err
    assert "transfer #" not in err
    assert "account #" not in err


def test_resealing_without_the_key_is_caught_by_the_signature(sealed, capsys):
    """A forger who rewrites a transfer, recomputes the Merkle root and the block hash, but has
    no signing key."""
    payment, block = sealed["payment"], sealed["block"]
    tamper(
        'UPDATE ledger_transfer SET metadata = \'{"shop": "Someone Else"}\' WHERE id = %s',
        [payment.id],
    )
    forged = Block.objects.get(pk=block.pk)
    forged.merkle_root = sealing.block_recompute(forged)[1]
    forged.hash = hashlib.sha256(sealing.block_header(forged)).hexdigest()
    tamper(
        "UPDATE ledger_block SET merkle_root = %s, hash = %s WHERE id = %s",
        [forged.merkle_root, forged.hash, block.id],
    )
    err = verify_fails(capsys)
    assert err.strip().splitlines() == [
        f"block {block.height}: signature does not verify (key {block.key_id})"
    ]


def test_edited_cached_balance_is_named(sealed, capsys):
    wallet = sealed["wallet"]
    tamper("UPDATE ledger_account SET balance = balance + 500 WHERE id = %s", [wallet.id])
    err = verify_fails(capsys)
    assert (
        f"account #{wallet.id}: cached balance 800 / version 3, "
        "but its entries sum to 300 over 3 entries (last version 3)"
    ) in err
    assert "balances sum to 500 and entries to 0, not zero" in err


def test_edited_running_balance_is_named(sealed, capsys):
    wallet, payment = sealed["wallet"], sealed["payment"]
    tamper(
        "UPDATE ledger_entry SET balance_after = 5000 WHERE transfer_id = %s AND account_id = %s",
        [payment.id, wallet.id],
    )
    err = verify_fails(capsys)
    assert f"account #{wallet.id}: history breaks at version 2 (transfer #{payment.id})" in err
