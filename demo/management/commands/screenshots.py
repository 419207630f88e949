"""The README's screenshots, taken by Playwright (Debian's Chromium) from the demo town on a
running server: the wallet's Pay screen, the till's result after a sale and the wallet.

Run it through `python3 dev.py screenshots`, which seeds a private database, starts a server
on it and calls this command; run it by hand against a server on demo data with
`manage.py screenshots --base-url http://127.0.0.1:8000`."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from demo.seed import DEMO_RESIDENT_PASSWORD, DEMO_SHOP_PASSWORD
from payments import services
from shops.models import ShopMember

PHONE = {"width": 390, "height": 844}
RESIDENT = "anna@heitje.example"
CASHIER = "kassa@heitje.example"
SALE = "4,75"
# Colours kept per image: the pages use a handful, so 64 keeps text and QR codes crisp at a
# fraction of a full-colour PNG's size.
COLOURS = 64


class Command(BaseCommand):
    help = "Take the README's screenshots (docs/screenshots/*.png) from the demo town."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", required=True, help="A server on the demo data.")
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "screenshots"))
        parser.add_argument("--language", default="nl", choices=[c for c, _ in settings.LANGUAGES])

    def handle(self, *args: Any, **options: Any) -> None:
        from playwright.sync_api import sync_playwright

        # Playwright's sync API runs an event loop in this thread; the ORM calls made between
        # browser steps are still plain synchronous calls (as in tests/browser/conftest.py).
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

        chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
        if not chromium:
            raise CommandError("Chromium is needed (Debian's chromium package).")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        base, language = options["base_url"].rstrip("/"), options["language"]
        User.objects.filter(email__in=[RESIDENT, CASHIER]).update(preferred_language=language)
        shop_id = ShopMember.objects.get(user__email=CASHIER).shop_id

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            resident = self._signed_in(browser, base, RESIDENT, DEMO_RESIDENT_PASSWORD)
            resident.goto(f"{base}/wallet/pay/")
            resident.locator(".pay-qr svg").first.wait_for()
            self._save(resident, out / "pay.png")

            till = self._signed_in(browser, base, CASHIER, DEMO_SHOP_PASSWORD)
            till.goto(f"{base}/shop/{shop_id}/till/")
            code = services.pay_token_issue(user=User.objects.get(email=RESIDENT)).short_code
            till.locator("#id_amount").fill(SALE)
            till.locator("#id_code").fill(code)
            till.locator("#charge-submit").click()
            result = till.locator(".result").first
            result.wait_for()
            result.evaluate("element => element.scrollIntoView({block: 'start'})")
            self._save(till, out / "till-paid.png")

            resident.goto(f"{base}/wallet/")
            self._save(resident, out / "wallet.png")
            browser.close()
        self.stdout.write(f"Screenshots written to {out}.")

    def _signed_in(self, browser: Any, base: str, email: str, password: str) -> Any:
        page = browser.new_context(viewport=PHONE, device_scale_factor=1).new_page()
        page.goto(f"{base}/login/")
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    def _save(self, page: Any, path: Path) -> None:
        """A phone screen as a small palette PNG."""
        from PIL import Image

        image = Image.open(io.BytesIO(page.screenshot()))
        image.convert("RGB").quantize(colors=COLOURS).save(path, optimize=True)
        self.stdout.write(f"  {path.name}: {path.stat().st_size // 1024} KB")
