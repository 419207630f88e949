"""The long ledger commands show a progress bar on a terminal, and nothing in CI or a pipe; an
export written to stdout never carries it."""

import io
import sys

import pytest
from django.core.management import call_command

from ledger import services
from ledger.services import legs_between

pytestmark = pytest.mark.django_db(transaction=True)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def some_transfers(open_account):
    wallet, shop = open_account("wallet", funded=5_000), open_account("shop")
    for amount in (100, 200, 300):
        services.transfer_post(
            kind="payment",
            legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=amount),
        )


def _export(monkeypatch, terminal: io.StringIO) -> str:
    monkeypatch.setattr(sys, "stderr", terminal)
    out = io.StringIO()
    call_command("ledger_export", "--format", "csv", stdout=out)
    return out.getvalue()


def test_a_terminal_sees_a_bar_and_the_export_stays_clean(monkeypatch, some_transfers):
    monkeypatch.delenv("CI", raising=False)
    terminal = Terminal()
    exported = _export(monkeypatch, terminal)
    assert "transfers:" in terminal.getvalue()
    assert "0/4 " in terminal.getvalue()  # counted against the mint and three payments
    assert "transfers:" not in exported

    monkeypatch.setenv("CI", "true")
    quiet = Terminal()
    assert _export(monkeypatch, quiet) == exported
    assert "transfers:" not in quiet.getvalue()


def test_a_pipe_sees_no_bar(monkeypatch, some_transfers):
    monkeypatch.delenv("CI", raising=False)
    piped = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stderr", piped)
    call_command("ledger_verify", stdout=io.StringIO())
    assert "blocks" not in piped.getvalue()
