import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ledger.models import Block
from ledger.proofs import block_head, transfer_proof


class Command(BaseCommand):
    help = (
        "Write the inclusion proof of a transfer (its Merkle path to a signed block), or with "
        "--blocks every signed block head; check either with docs/verify_ledger.py."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("transfer_id", nargs="?", type=int, help="The transfer to prove.")
        parser.add_argument("--blocks", action="store_true", help="Write every block head.")
        parser.add_argument("--output", default="-", help="File to write (default: stdout).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["blocks"]:
            subject: Any = [block_head(b) for b in Block.objects.order_by("height").iterator()]
        elif options["transfer_id"] is None:
            raise CommandError("Name a transfer id, or pass --blocks.")
        else:
            subject = transfer_proof(transfer_id=options["transfer_id"])
            if subject is None:
                raise CommandError(
                    f"Transfer {options['transfer_id']} is not in a sealed block (yet)."
                )
        text = json.dumps(subject, indent=2, ensure_ascii=False) + "\n"
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
