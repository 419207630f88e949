"""Sealing: signed, chained blocks covering every transfer once, never blocking writers."""

import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction

from ledger import sealing, services
from ledger.models import Block, Transfer, TransferKind
from ledger.services import legs_between
from ledger.tasks import ledger_seal_task
from ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db(transaction=True)


def pay(source, destination, amount):
    return services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=source.id, destination_id=destination.id, amount=amount),
    )


def seal_until(predicate, seconds=10.0):
    """Seal until `predicate()` holds: another session's open transaction elsewhere on the server
    may hold the horizon back for a moment, which only delays a seal."""
    deadline = time.monotonic() + seconds
    while True:
        sealing.ledger_seal()
        if predicate() or time.monotonic() > deadline:
            return


def sealed_ids():
    ids = []
    for block in Block.objects.order_by("height"):
        ids.extend(row[0] for row in sealing.transfer_rows(block.txid_from, block.txid_to))
    return ids


def test_seal_chains_signed_blocks_over_every_transfer(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    pay(wallet, shop, 10)
    seal_until(lambda: Block.objects.exists() and len(sealed_ids()) == Transfer.objects.count())
    first = Block.objects.get(height=1)
    assert first.prev_hash == sealing.GENESIS_HASH
    assert sealing.ledger_seal() is None  # nothing new: no empty blocks

    pay(wallet, shop, 20)
    seal_until(lambda: len(sealed_ids()) == Transfer.objects.count())
    head = Block.objects.order_by("-height").first()
    assert head.height >= 2
    assert head.prev_hash == Block.objects.get(height=head.height - 1).hash
    assert sorted(sealed_ids()) == sorted(Transfer.objects.values_list("id", flat=True))
    report = ledger_verify()
    assert report.ok, report.problems
    assert report.blocks == head.height


def test_a_transfer_committed_after_a_seal_lands_in_the_next_block(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    inserted, release = threading.Event(), threading.Event()
    in_flight = {}

    def slow_writer():
        try:
            with transaction.atomic():
                in_flight["id"] = pay(wallet, shop, 5).id
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(10)
    started = time.monotonic()
    sealing.ledger_seal()  # must neither wait for the open transaction nor include its transfer
    assert time.monotonic() - started < 5
    assert in_flight["id"] not in sealed_ids()
    release.set()
    writer.join()

    seal_until(lambda: in_flight["id"] in sealed_ids())
    ids = sealed_ids()
    assert ids.count(in_flight["id"]) == 1
    assert len(ids) == len(set(ids)) == Transfer.objects.count()
    assert ledger_verify().ok


def test_blocks_signed_by_a_retired_key_verify_only_while_it_is_listed(
    open_account, settings, tmp_path
):
    old = Ed25519PrivateKey.generate()
    old_pem = old.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.LEDGER_SIGNING_KEY = old_pem
    open_account("wallet", funded=100)
    seal_until(lambda: Block.objects.exists())
    assert Block.objects.get(height=1).key_id == sealing.key_id_of(old.public_key())

    settings.LEDGER_SIGNING_KEY = ""
    settings.LEDGER_SIGNING_KEY_FILE = str(tmp_path / "new-key.pem")
    report = ledger_verify()
    assert not report.ok
    assert any("block 1: signature does not verify" in p for p in report.problems)

    settings.LEDGER_VERIFY_KEYS = [
        old.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    ]
    assert ledger_verify().ok


def test_beat_task_seals(open_account):
    open_account("wallet", funded=100)
    deadline = time.monotonic() + 10
    height = ledger_seal_task()
    while height is None and time.monotonic() < deadline:
        height = ledger_seal_task()
    assert height == 1
    assert Block.objects.get(height=1).transfer_count == Transfer.objects.count()
