"""Export the whole ledger as an hledger or beancount journal, or as CSV.

Everything is read inside one REPEATABLE READ, READ ONLY transaction, so the file is one
consistent snapshot: the closing balance assertions (taken from the accounts' cached balances)
describe exactly the transfers written above them, and checking the journal with `bean-check` or
`hledger check` proves that the cached balances equal the sums of the entries.

The ledger may hold millions of entries: rows come through server-side cursors, `CHUNK_SIZE` at a
time, in transfer id order, and are written as they arrive. Only currencies (a handful) are held
in memory. Amounts are integers in minor units and are formatted with integer arithmetic, never
through floats.

Journal account names fit both tools: beancount wants the roots Assets, Liabilities, Equity,
Income or Expenses and capitalised components, so the issuer (whose balance is minus the supply)
is `Equity:Issuer:<CODE>` and every other account `Assets:<Kind>:A<id>`. Human names, kinds and
statuses go into metadata (beancount) or tags (hledger).

The reading lives in `reading`, the naming in `names`, the one journal writer in `journal`, and
each format in its own module (`csv_rows`, and the `JournalFormat`s in `beancount_journal` and
`hledger_journal`).
"""

import os
import tempfile
from pathlib import Path

from .beancount_journal import write_beancount
from .csv_rows import write_csv
from .hledger_journal import write_hledger
from .reading import Counter, ExportError, ExportSummary, TextSink, currency_rows, snapshot

FORMATS = ("hledger", "beancount", "csv")
_WRITERS = {"hledger": write_hledger, "beancount": write_beancount, "csv": write_csv}


def ledger_export(*, fmt: str, out: TextSink) -> ExportSummary:
    """Write the whole ledger to `out` as `fmt` (one of `FORMATS`) and say what was written.

    hledger and beancount get a journal: a commodity per currency, an account declaration per
    ledger account, a transaction per transfer (dated by its `created_at` in UTC, with its id,
    kind, idempotency key and reversal links as metadata) and a closing balance assertion per
    account. csv gets one row per entry under `CSV_HEADER`. Reads one REPEATABLE READ snapshot,
    streaming; call it outside any transaction (or inside a REPEATABLE READ one).
    """
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    n = Counter()
    with snapshot():
        currencies = currency_rows()
        writer(out, currencies, n)
    return ExportSummary(
        fmt=fmt,
        currencies=len(currencies),
        accounts=n.accounts,
        transfers=n.transfers,
        entries=n.entries,
        last_transfer_id=n.last_transfer_id,
    )


def ledger_export_to_path(*, fmt: str, path: Path) -> ExportSummary:
    """Write the export to the file `path`, all or nothing.

    The export goes to a temporary file in the same directory, is flushed to disk and then
    renamed over `path`, so `path` is either the complete export or untouched. Raises
    `ExportError` with a readable message if the file cannot be written.
    """
    if path.is_dir():
        raise ExportError(f"Cannot write the export to {path}: it is a directory.")
    directory = path.parent
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, renamed or removed)
            mode="w",
            encoding="utf-8",
            newline="",
            dir=directory,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as exc:
        raise ExportError(
            f"Cannot write the export to {path}: {exc.strerror or exc} ({directory})."
        ) from exc
    temp = Path(handle.name)
    try:
        with handle:
            summary = ledger_export(fmt=fmt, out=handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportError(f"Cannot write the export to {path}: {exc.strerror or exc}.") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return summary


def _new_file_mode(path: Path) -> int:
    """The mode `path` keeps (if it exists) or would get from a plain `open()` (umask applied);
    a temporary file is created private (0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
