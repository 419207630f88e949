from django.core.management.base import BaseCommand

from ledger.progress import progress_shown
from ledger.sealing import ledger_seal


class Command(BaseCommand):
    help = "Seal the transfers that became final since the last block into a signed block."

    def handle(self, *args: object, **options: object) -> None:
        with progress_shown():
            block = ledger_seal()
        if block is None:
            self.stdout.write("nothing new to seal")
            return
        self.stdout.write(
            f"sealed block {block.height}: {block.transfer_count} transfers "
            f"#{block.first_transfer_id}..#{block.last_transfer_id}, hash {block.hash}"
        )
