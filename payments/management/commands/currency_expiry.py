from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import NotAllowed
from accounts.models import User
from ledger.errors import InvalidTransfer
from ledger.models import Currency
from payments.expiry import currency_expiry_switch


class Command(BaseCommand):
    help = (
        "Switch optional expiry of dormant wallets on (--months N) or off (--off) for a "
        "currency; audited as currency.expiry. Without either, show the current rule."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="the currency's code, e.g. HEITJE")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--months", type=int, help="expire wallets dormant this long (1-120)")
        group.add_argument("--off", action="store_true", help="switch expiry off")
        parser.add_argument("--by", default="", help="the staff member's email, for the audit")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["code"]
        if not Currency.objects.filter(code=code).exists():
            raise CommandError(f"No currency {code!r}.")
        actor = None
        if options["by"]:
            actor = User.objects.filter(email__iexact=options["by"]).first()
            if actor is None:
                raise CommandError(f"No person with the email {options['by']!r}.")
        if options["months"] is None and not options["off"]:
            months = Currency.objects.get(code=code).expiry_months
            self.stdout.write(f"{code}: expiry {'off' if months is None else f'{months} months'}")
            return
        try:
            currency = currency_expiry_switch(
                actor=actor, code=code, months=None if options["off"] else options["months"]
            )
        except (InvalidTransfer, NotAllowed) as exc:
            raise CommandError(str(exc)) from exc
        months = currency.expiry_months
        self.stdout.write(f"{code}: expiry {'off' if months is None else f'{months} months'}")
