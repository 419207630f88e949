from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from demo.seed import DEMO_TOTP_KEY, DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff (for a newcomer without an app)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is disabled here (DEMO_DATA_ALLOWED is off).")
        code = TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token()
        self.stdout.write(f"{code:06d}  (secret {DEMO_TOTP_SECRET}; a new code every 30 s)")
