from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import DEMO_TOTP_SECRET, seed_demo
from ledger.sealing import ledger_seal


class Command(BaseCommand):
    help = "Create the demo town (idempotent): currency, accounts, transfers and demo logins."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is disabled here (DEMO_DATA_ALLOWED is off).")
        result = seed_demo()
        ledger_seal()
        self.stdout.write(
            f"Demo town ready: {result.currency.code}, {result.transfers} demo transfers."
        )
        self.stdout.write("Demo logins:")
        for role, email, password in result.logins:
            self.stdout.write(f"  {role:<12} {email}  /  {password}")
        self.stdout.write(
            "Staff sign in with a TOTP code as well. Add this secret to an authenticator app\n"
            "  (or print the current code: .venv/bin/python manage.py demo_totp)\n"
            f"  (or run: oathtool --totp -b {DEMO_TOTP_SECRET}):\n"
            f"  {DEMO_TOTP_SECRET}\n"
            f"  otpauth://totp/Heitje%20demo?secret={DEMO_TOTP_SECRET}&issuer=Heitje"
        )
