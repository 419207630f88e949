import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from ledger.export import FORMATS, ledger_export, ledger_export_to_path
from ledger.export.reading import ExportError
from ledger.progress import progress_shown


class _Unbuffered:
    """Write through a command's stdout as is (OutputWrapper would add line endings)."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, s: str, /) -> None:
        self._wrapper.write(s, ending="")


class Command(BaseCommand):
    help = (
        "Write the whole ledger, one consistent snapshot, as an hledger or beancount journal "
        "(with closing balance assertions) or as CSV (one row per entry)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", dest="fmt", required=True, choices=FORMATS)
        parser.add_argument(
            "--output",
            type=Path,
            help="File to write (replaced whole, or left untouched on failure); default stdout.",
        )

    def handle(self, *args: object, **options: object) -> None:
        fmt = str(options["fmt"])
        output = options.get("output")
        if output is None:
            with progress_shown():
                summary = ledger_export(fmt=fmt, out=_Unbuffered(self.stdout))
            print(summary.summary(), file=sys.stderr)
            return
        assert isinstance(output, Path)
        try:
            with progress_shown():
                summary = ledger_export_to_path(fmt=fmt, path=output)
        except ExportError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(f"{summary.summary()} to {output}")
