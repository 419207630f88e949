"""Run by tests/ops/test_roles_and_backup.py in a process connected as the application's
database role (DATABASE_URL): the demo town's richest resident pays a shop over the API, the cashier
refunds part of it, staff freeze and unfreeze a wallet, and the ledger is sealed. Prints the
payment's id. Any refusal by the database (a missing grant) fails the process."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from rest_framework.test import APIClient  # noqa: E402

from accounts.models import ResidentProfile, User  # noqa: E402
from ledger import sealing, services  # noqa: E402
from shops.models import Shop  # noqa: E402


def client_for(email: str) -> APIClient:
    client = APIClient()
    client.force_login(User.objects.get(email=email))
    return client


shop = Shop.objects.get(name="Bakkerij Bemelmans")
payer = ResidentProfile.objects.select_related("user").order_by("-wallet__balance").first()
assert payer is not None
paid = client_for(payer.user.email).post(
    "/api/v1/wallet/pay-shop/", {"shop": str(shop.pk), "amount": 200}, format="json"
)
assert paid.status_code == 201, paid.content
payment_id = paid.json()["id"]
refunded = client_for("kassa@heitje.example").post(
    f"/api/v1/shops/{shop.pk}/payments/{payment_id}/refunds/", {"amount": 50}, format="json"
)
assert refunded.status_code == 201, refunded.content
wallet_id = User.objects.get(email="bram@heitje.example").resident.wallet_id
services.account_freeze(account_id=wallet_id, reason="drill")
services.account_unfreeze(account_id=wallet_id, reason="drill")
assert sealing.ledger_seal() is not None
sys.stdout.write(f"{payment_id}\n")
