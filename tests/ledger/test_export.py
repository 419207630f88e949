"""`manage.py ledger_export`: journals that beancount (and hledger) accept and whose balances
equal ours, a CSV that sums to our balances, and bad input that fails cleanly."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import account as bean_account
from beancount.core import data as bean_data
from beancount.core import realization
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from ledger import export, selectors, services
from ledger.export import csv_rows, names, reading
from ledger.models import Account, AccountKind, Currency, Entry, Transfer

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
MANAGE_ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
TRICKY = 'Ann "the saver" \\ O\'Neill, ward 3\nsecond line; #not-a-tag'


def _legs(source: Account, destination: Account, amount: int) -> tuple[services.Leg, ...]:
    return services.legs_between(source_id=source.id, destination_id=destination.id, amount=amount)


@pytest.fixture
def small_ledger(currency, issuer, open_account) -> dict[str, Account]:
    """A small ledger: every account kind, mints, payouts, payments, a reversal, a batch, a
    three-legged transfer, awkward names and keys, and a second currency with 3 decimals."""
    budget = open_account("budget", funded=100_000, name="Summer campaign")
    fund = open_account("fund", funded=5_000, name="Community fund")
    ann = open_account("wallet", name=TRICKY)
    bob = open_account("wallet", name="Bob")
    shop = open_account("shop", name="Bakker Bart")
    settlement = open_account("settlement", name="Settlement")
    expiry = open_account("expiry", name="Expired")
    open_account("wallet", name="Never used")

    services.transfer_post(
        kind="payout",
        legs=_legs(budget, ann, 2_500),
        idempotency_scope="campaign:1",
        idempotency_key='payout,"ann"\n1',
        metadata={"campaign": 1, "note": 'with "quotes", commas\nand a newline'},
    )
    services.transfers_post_batch(
        requests=[
            services.TransferRequest(
                kind="payout",
                legs=_legs(budget, wallet, 1_000 + i),
                idempotency_scope="batch:7",
                idempotency_key=f"row-{i}",
            )
            for i, wallet in enumerate([ann, bob, bob])
        ]
    )
    payment = services.transfer_post(kind="payment", legs=_legs(ann, shop, 1_234))
    services.transfer_post(kind="payment", legs=_legs(bob, shop, 99))
    services.transfer_reverse(transfer_id=payment.id, reason='wrong "amount", sorry')
    services.transfer_post(kind="settlement", legs=_legs(shop, settlement, 99))
    services.transfer_post(kind="expiry", legs=_legs(bob, expiry, 1))
    services.transfer_post(
        kind="donation",
        legs=[services.Leg(ann.id, -300), services.Leg(fund.id, 200), services.Leg(bob.id, 100)],
    )
    services.transfer_post(kind="burn", legs=_legs(settlement, issuer, 50))

    second = services.currency_get_or_create(code="ZW0LLE3", name="Zwolle pond", decimals=3)
    second_issuer = selectors.issuer_account(currency=second)
    second_wallet = services.account_open(currency=second, kind="wallet", name="Zwolle wallet")
    services.transfer_post(kind="mint", legs=_legs(second_issuer, second_wallet, 7_005))
    services.transfer_post(kind="payment", legs=_legs(second_wallet, second_issuer, 5))
    return {"ann": ann, "bob": bob, "shop": shop, "budget": budget}


def _tokens(account: Account) -> Decimal:
    balance = selectors.account_balance(account_id=account.id)
    return Decimal(balance).scaleb(-account.currency.decimals)


def _journal_name(account: Account) -> str:
    return names.journal_account_name(
        kind=account.kind, account_id=account.id, currency_code=account.currency.code
    )


def _export(tmp_path: Path, fmt: str, name: str = "") -> Path:
    path = tmp_path / (name or f"ledger.{fmt}")
    out = io.StringIO()
    call_command("ledger_export", "--format", fmt, "--output", str(path), stdout=out)
    assert str(Transfer.objects.count()) in out.getvalue()
    return path


def _bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "bean-check"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- beancount -------------------------------------------------------------------------------


def test_beancount_export_checks_clean_and_balances_match(small_ledger, tmp_path):
    path = _export(tmp_path, "beancount")

    entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    assert _bean_check(path).returncode == 0, _bean_check(path).stderr

    accounts = list(Account.objects.select_related("currency").order_by("id"))
    opens = {e.account: e for e in entries if isinstance(e, bean_data.Open)}
    balances = {e.account: e for e in entries if isinstance(e, bean_data.Balance)}
    transactions = [e for e in entries if isinstance(e, bean_data.Transaction)]
    assert set(opens) == set(balances) == {_journal_name(a) for a in accounts}
    assert len(transactions) == Transfer.objects.count()
    assert sum(len(t.postings) for t in transactions) == Entry.objects.count()
    assert {e.currency for e in entries if isinstance(e, bean_data.Commodity)} == {
        "HEITJE",
        "ZW0LLE3",
    }

    real_root = realization.realize(entries)
    for account in accounts:
        name = _journal_name(account)
        assert bean_account.is_valid(name)
        inventory = realization.get(real_root, name).balance
        expected = _tokens(account)
        assert inventory.get_currency_units(account.currency.code).number == expected, name
        assert balances[name].amount.number == expected
        assert opens[name].meta["ledger-account-id"] == account.id
        assert opens[name].meta["name"] == account.name
    # The human name survives quotes, backslashes, commas and line breaks.
    assert opens[_journal_name(small_ledger["ann"])].meta["name"] == TRICKY
    # The issuer's balance is minus the supply, as our selectors say.
    heitje = Currency.objects.get(code="HEITJE")
    issuer_units = realization.get(real_root, "Equity:Issuer:HEITJE").balance
    assert -issuer_units.get_currency_units("HEITJE").number == Decimal(
        selectors.currency_supply(currency=heitje)
    ).scaleb(-2)


def test_beancount_transactions_carry_ids_keys_and_reversal_links(small_ledger, tmp_path):
    entries, errors, _ = loader.load_file(str(_export(tmp_path, "beancount")))
    assert errors == []
    by_id = {e.meta["transfer-id"]: e for e in entries if isinstance(e, bean_data.Transaction)}
    for transfer in Transfer.objects.all():
        txn = by_id[transfer.id]
        assert txn.date == transfer.created_at.astimezone(UTC).date()
        assert txn.narration == f"{transfer.kind} #{transfer.id}"
        assert transfer.kind in txn.tags
        assert txn.meta.get("idempotency-key") == transfer.idempotency_key
    keyed = Transfer.objects.get(idempotency_key='payout,"ann"\n1')
    assert by_id[keyed.id].meta["idempotency-scope"] == "campaign:1"
    assert json.loads(by_id[keyed.id].meta["metadata"]) == keyed.metadata
    reversal = Transfer.objects.get(kind="reversal")
    assert by_id[reversal.id].meta["reverses"] == reversal.reverses_id
    assert by_id[reversal.reverses_id].meta["reversed-by"] == reversal.id
    assert by_id[reversal.id].links == by_id[reversal.reverses_id].links != frozenset()


def test_beancount_catches_a_wrong_balance_assertion(small_ledger, tmp_path):
    path = _export(tmp_path, "beancount")
    ann = _journal_name(small_ledger["ann"])
    text = path.read_text(encoding="utf-8")
    line = re.search(rf"^\S+ balance {ann} +(\S+) ~ 0 HEITJE$", text, re.MULTILINE)
    assert line is not None
    wrong = line.group(0).replace(line.group(1), str(Decimal(line.group(1)) + Decimal("0.01")))
    tampered = tmp_path / "tampered.beancount"
    tampered.write_text(text.replace(line.group(0), wrong), encoding="utf-8")

    _, errors, _ = loader.load_file(str(tampered))
    assert len(errors) == 1
    assert "Balance failed" in errors[0].message
    assert errors[0].entry.account == ann
    assert _bean_check(tampered).returncode != 0


def test_beancount_catches_a_cached_balance_that_lies(small_ledger, tmp_path):
    """The assertions come from the cached balances, so a cache that drifted from the entries
    (here by an UPDATE no code of ours makes, with the database's guards switched off as only
    a superuser can) makes the exported journal fail its check."""
    bob = small_ledger["bob"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE ledger_account SET balance = balance + 1 WHERE id = %s", [bob.id])
    _, errors, _ = loader.load_file(str(_export(tmp_path, "beancount")))
    assert [e.entry.account for e in errors] == [_journal_name(bob)]


def test_empty_ledger_exports_a_valid_journal(currency, tmp_path):
    path = _export(tmp_path, "beancount")
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    assert sorted(type(e).__name__ for e in entries) == ["Balance", "Commodity", "Open"]


def test_accounts_open_at_first_use_and_balances_come_after_every_open(small_ledger, tmp_path):
    """Accounts carry the application's clock and transfers the database's (their transaction's
    start), so an account can look created after its first transfer: it opens at the earlier."""
    ann, never_used = small_ledger["ann"], Account.objects.get(name="Never used")
    first_use = Transfer.objects.filter(entries__account=ann).order_by("created_at").first()
    assert first_use is not None
    later = first_use.created_at + timedelta(days=3)
    Account.objects.filter(pk=ann.pk).update(created_at=later)
    Account.objects.filter(pk=never_used.pk).update(created_at=later + timedelta(days=2))

    entries, errors, _ = loader.load_file(str(_export(tmp_path, "beancount")))
    assert errors == []
    opens = {e.account: e.date for e in entries if isinstance(e, bean_data.Open)}
    assert opens[_journal_name(ann)] == first_use.created_at.astimezone(UTC).date()
    assert opens[_journal_name(never_used)] == (later + timedelta(days=2)).astimezone(UTC).date()
    assert {e.date for e in entries if isinstance(e, bean_data.Balance)} == {
        (later + timedelta(days=3)).astimezone(UTC).date()
    }


def test_export_is_one_snapshot_while_others_post(small_ledger, tmp_path):
    """A transfer committed by someone else in the middle of the export is not in it, and the
    closing balances still describe exactly the transfers written."""
    ann, bob = small_ledger["ann"], small_ledger["bob"]
    posted: list[int] = []

    def post_elsewhere() -> None:
        try:
            posted.append(services.transfer_post(kind="payment", legs=_legs(ann, bob, 7)).id)
        finally:
            connection.close()

    class Sink(io.StringIO):
        def write(self, s: str, /) -> int:
            if not posted and "transfer-id:" in s:  # the transfers are streaming by now
                thread = threading.Thread(target=post_elsewhere)
                thread.start()
                thread.join()
            return super().write(s)

    sink = Sink()
    summary = export.ledger_export(fmt="beancount", out=sink)
    assert posted
    assert summary.transfers == Transfer.objects.count() - 1
    path = tmp_path / "snapshot.beancount"
    path.write_text(sink.getvalue(), encoding="utf-8")
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    assert posted[0] not in {
        e.meta["transfer-id"] for e in entries if isinstance(e, bean_data.Transaction)
    }


def test_export_refuses_a_read_committed_transaction(currency):
    with transaction.atomic(), pytest.raises(reading.ExportError, match="REPEATABLE READ"):
        export.ledger_export(fmt="csv", out=io.StringIO())


def test_export_runs_inside_a_callers_repeatable_read_transaction(small_ledger):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        summary = export.ledger_export(fmt="csv", out=io.StringIO())
    assert summary.entries == Entry.objects.count()


# --- csv -------------------------------------------------------------------------------------


def test_csv_rows_sum_to_our_balances(small_ledger, tmp_path):
    path = _export(tmp_path, "csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with path.open(newline="", encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == csv_rows.CSV_HEADER

    assert len(rows) == Entry.objects.count()
    assert len({r["transfer_id"] for r in rows}) == Transfer.objects.count()
    sums: dict[int, Decimal] = defaultdict(Decimal)
    last_after: dict[int, tuple[int, Decimal]] = {}
    for row in rows:
        account_id = int(row["account_id"])
        sums[account_id] += Decimal(row["amount"])
        version = int(row["account_version"])
        if version > last_after.get(account_id, (0, Decimal()))[0]:
            last_after[account_id] = (version, Decimal(row["balance_after"]))
        assert row["created_at"].endswith("Z")
    for account in Account.objects.select_related("currency"):
        expected = _tokens(account)
        assert sums.get(account.id, Decimal(0)) == expected
        if account.version:
            assert last_after[account.id] == (account.version, expected)

    ids = [int(r["transfer_id"]) for r in rows]
    assert ids == sorted(ids)
    keyed = [r for r in rows if r["idempotency_key"] == 'payout,"ann"\n1']
    assert len(keyed) == 2
    assert {r["idempotency_scope"] for r in keyed} == {"campaign:1"}
    reversal = Transfer.objects.get(kind="reversal")
    assert {r["reverses_id"] for r in rows if r["transfer_id"] == str(reversal.id)} == {
        str(reversal.reverses_id)
    }
    assert {r["amount"] for r in rows if r["currency"] == "ZW0LLE3"} >= {"7.005", "-0.005"}


def test_csv_to_stdout_equals_the_file(small_ledger, tmp_path):
    out = io.StringIO()
    call_command("ledger_export", "--format", "csv", stdout=out)
    path = _export(tmp_path, "csv")
    assert out.getvalue() == path.read_bytes().decode()
    assert out.getvalue().startswith(",".join(csv_rows.CSV_HEADER) + "\r\n")


# --- hledger ---------------------------------------------------------------------------------


def test_hledger_journal_declares_everything_and_asserts_every_balance(small_ledger, tmp_path):
    text = _export(tmp_path, "hledger").read_text(encoding="utf-8")
    assert "decimal-mark .\n" in text
    assert re.search(r"^commodity 1000\.00 HEITJE ", text, re.MULTILINE)
    assert re.search(r'^commodity 1000\.000 "ZW0LLE3" ', text, re.MULTILINE)
    declared = re.findall(r"^account (\S+)  ;", text, re.MULTILINE)
    assertions = dict(re.findall(r"^    (\S+)  0\.0+ \S+ = (-?\d+\.\d+) \S+$", text, re.MULTILINE))
    accounts = list(Account.objects.select_related("currency"))
    assert sorted(declared) == sorted(assertions) == sorted(_journal_name(a) for a in accounts)
    for account in accounts:
        assert Decimal(assertions[_journal_name(account)]) == _tokens(account)
    assert len(re.findall(r"^\d{4}-\d\d-\d\d \* \w+ #\d+$", text, re.MULTILINE)) == (
        Transfer.objects.count()
    )
    # Tag values end at a comma or a line break in hledger: both are escaped.
    assert '    ; idempotency_key: payout%2C"ann"%0A1\n' in text
    assert "\n2" not in text.split("name: Ann", 1)[1].split("\n", 1)[0]

    # Per transfer the postings sum to zero, per account they sum to the asserted balance.
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for name, amount in re.findall(r"^    ([A-Z]\S+)  (-?\d+\.\d+) \S+$", text, re.MULTILINE):
        sums[name] += Decimal(amount)
    for account in accounts:
        assert sums[_journal_name(account)] == _tokens(account)


def test_hledger_checks_the_journal(small_ledger, tmp_path):
    # A skipped cross-check checks nothing: `python3 dev.py test` installs hledger (apt-get).
    assert shutil.which("hledger"), "hledger is not installed: apt-get install hledger"
    path = _export(tmp_path, "hledger")
    ok = subprocess.run(
        ["hledger", "-f", str(path), "check", "--strict"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    ann = _journal_name(small_ledger["ann"])
    text = path.read_text(encoding="utf-8")
    line = re.search(rf"^    {ann}  0\.00 HEITJE = (\S+) HEITJE$", text, re.MULTILINE)
    assert line is not None
    off_by_one_cent = str(Decimal(line.group(1)) - Decimal("0.01"))
    wrong = text.replace(line.group(0), line.group(0).replace(line.group(1), off_by_one_cent))
    tampered = tmp_path / "tampered.journal"
    tampered.write_text(wrong, encoding="utf-8")
    bad = subprocess.run(
        ["hledger", "-f", str(tampered), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode != 0
    assert "balance assertion" in bad.stderr.lower()


# --- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "decimals", "text"),
    [
        (0, 2, "0.00"),
        (5, 2, "0.05"),
        (-5, 2, "-0.05"),
        (-123_456, 2, "-1234.56"),
        (7_005, 3, "7.005"),
        (-42, 0, "-42"),
        (10**15, 6, "1000000000.000000"),
        (-(10**15) + 1, 2, "-9999999999999.99"),
    ],
)
def test_format_minor_is_exact(amount, decimals, text):
    assert names.format_minor(amount=amount, decimals=decimals) == text
    assert Decimal(text) == Decimal(amount).scaleb(-decimals)


@pytest.mark.parametrize("kind", [*AccountKind.values, "new-kind"])
def test_every_account_kind_gets_a_valid_name(kind):
    name = names.journal_account_name(kind=kind, account_id=12, currency_code="HEITJE")
    assert bean_account.is_valid(name)
    assert name.split(":")[0] in {"Assets", "Equity"}
    assert name.endswith(":HEITJE" if kind == AccountKind.ISSUER else ":A12")


# --- bad input -------------------------------------------------------------------------------


def test_unknown_format_is_an_argparse_error(currency, tmp_path):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("ledger_export", "--format", "xml", "--output", str(tmp_path / "x"))
    done = subprocess.run(
        [sys.executable, "manage.py", "ledger_export", "--format", "xml"],
        cwd=ROOT,
        env=MANAGE_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "invalid choice: 'xml'" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing/dir/out.csv", "file/out.csv", "."])
def test_unwritable_output_is_a_command_error_and_leaves_no_file(currency, tmp_path, where):
    (tmp_path / "file").write_text("not a directory")
    target = tmp_path / where
    with pytest.raises(CommandError, match="Cannot write the export to"):
        call_command("ledger_export", "--format", "csv", "--output", str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    assert (tmp_path / "file").read_text() == "not a directory"


def test_unwritable_output_exits_non_zero(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "ledger_export", "--format", "csv", "--output",
         str(tmp_path / "missing" / "out.csv")],
        cwd=ROOT,
        env=MANAGE_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Cannot write the export to" in done.stderr


def test_failure_midway_keeps_the_old_file_and_leaves_no_temp(small_ledger, tmp_path, monkeypatch):
    path = _export(tmp_path, "beancount", name="ledger.beancount")
    before = path.read_bytes()

    def broken(*, fmt: str, out: reading.TextSink) -> reading.ExportSummary:
        out.write("2024-01-01 open Assets:Half\n")
        raise RuntimeError("database went away")

    monkeypatch.setattr(export, "ledger_export", broken)
    with pytest.raises(RuntimeError, match="went away"):
        call_command("ledger_export", "--format", "beancount", "--output", str(path))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.beancount"]
