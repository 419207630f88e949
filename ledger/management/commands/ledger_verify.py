import sys

from django.core.management.base import BaseCommand, CommandError

from ledger.progress import progress_shown
from ledger.verify import ledger_verify


class Command(BaseCommand):
    help = "Recompute the whole ledger and its sealed chain; exit 1 naming whatever is broken."

    def handle(self, *args: object, **options: object) -> None:
        with progress_shown():
            report = ledger_verify()
        if not report.ok:
            for problem in report.problems:
                print(problem, file=sys.stderr)
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())
