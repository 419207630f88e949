"""Shops moved from accounts to their own app without moving a row: a database written by the
old code (shops in accounts, payments pointing at accounts.Shop) migrates forward and every
shop, member, invitation and payment is still there, read through shops.models and the API."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.utils import timezone
from rest_framework.test import APIClient

from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.models import AccountKind
from payments.models import Payment
from shops.models import CashierInvite, Shop, ShopMember
from tests.helpers import make_user

# The last migrations of the code that kept shops in accounts.
BEFORE = [
    ("accounts", "0010_mail_sent_once_per_event"),
    ("payments", "0005_code_attempts_without_cache"),
    ("shops", None),
]


def migrate_to(targets: list[tuple[str, str | None]]) -> StateApps:
    """Migrate the test database to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets)
    return state.apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def ledger_rows() -> tuple[int, int, int]:
    """A resident's wallet and a shop's account, and a transfer between them (the ledger's
    tables are the same before and after: rows are written with today's services)."""
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    wallet = ledger_services.account_open(currency=currency, kind=AccountKind.WALLET, name="w")
    till = ledger_services.account_open(currency=currency, kind=AccountKind.SHOP, name="s")
    issuer = ledger_selectors.issuer_account(currency=currency)
    ledger_services.transfer_post(
        kind="mint",
        legs=ledger_services.legs_between(
            source_id=issuer.pk, destination_id=wallet.pk, amount=1_000
        ),
    )
    paid = ledger_services.transfer_post(
        kind="payment",
        legs=ledger_services.legs_between(source_id=wallet.pk, destination_id=till.pk, amount=250),
    )
    return wallet.pk, till.pk, paid.pk


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_keeps_its_shops_members_invites_and_payments():
    owner = make_user("owner@example.org")
    cashier = make_user("cashier@example.org")
    anna = make_user("anna@example.org", "resident")
    wallet_id, till_id, transfer_id = ledger_rows()
    try:
        old = migrate_to(BEFORE)
        old_shop = old.get_model("accounts", "Shop").objects.create(
            name="Bakkerij Kerkrade",
            address="Saroleastraat 1, 6411 Heerlen",
            category="bakery",
            iban="NL91ABNA0417164300",
            status="approved",
            account_id=till_id,
            created_by_id=owner.pk,
        )
        members = old.get_model("accounts", "ShopMember").objects
        members.create(shop_id=old_shop.pk, user_id=owner.pk, role="owner")
        members.create(shop_id=old_shop.pk, user_id=cashier.pk, role="cashier")
        old_invite = old.get_model("accounts", "CashierInvite").objects.create(
            shop_id=old_shop.pk,
            email="new@example.org",
            token_hash="0" * 64,
            invited_by_id=owner.pk,
            expires_at=timezone.now() + timedelta(days=3),
        )
        old_payment = old.get_model("payments", "Payment").objects.create(
            shop_id=old_shop.pk,
            payer_account_id=wallet_id,
            resident_id=anna.pk,
            amount=250,
            method="resident_code",
            transfer_id=transfer_id,
        )
        old_type = ContentType.objects.get(app_label="accounts", model="shop")
    finally:
        migrate_to_latest()

    shop = Shop.objects.get(pk=old_shop.pk)
    assert (shop.name, shop.status, shop.account_id) == ("Bakkerij Kerkrade", "approved", till_id)
    assert {(m.user_id, m.role) for m in ShopMember.objects.filter(shop=shop)} == {
        (owner.pk, "owner"),
        (cashier.pk, "cashier"),
    }
    assert CashierInvite.objects.get(pk=old_invite.pk).shop == shop
    assert Payment.objects.get(pk=old_payment.pk).shop == shop
    # The content type (and the permissions hanging on it) moved with the model.
    assert ContentType.objects.get_for_model(Shop).pk == old_type.pk

    as_owner = APIClient()
    as_owner.force_login(owner)
    mine = as_owner.get(f"/api/v1/shops/{shop.pk}/")
    assert mine.status_code == 200
    assert mine.json()["name"] == "Bakkerij Kerkrade"
    team = as_owner.get(f"/api/v1/shops/{shop.pk}/cashiers/").json()
    assert [c["email"] for c in team["cashiers"]] == ["cashier@example.org"]
    assert [i["email"] for i in team["invites"]] == ["new@example.org"]
    as_anna = APIClient()
    as_anna.force_login(anna)
    paid = as_anna.get("/api/v1/wallet/payments/").json()
    assert [(p["id"], p["shop_name"], p["amount"]) for p in paid] == [
        (old_payment.pk, "Bakkerij Kerkrade", 250)
    ]
    # The tables' sequences carry on: a shop registered now gets a new number.
    assert (
        Shop.objects.create(
            name="Nieuw", address="Markt 1", category="other", iban="x", created_by=owner
        ).pk
        > shop.pk
    )
