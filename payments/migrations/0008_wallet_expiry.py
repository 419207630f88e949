"""Wallet expiry notices and their expiries (payments.expiry): one row per (wallet, version).

A new table with its own unique and CHECK constraints; no ledger table, trigger or constraint
changes (expiries post through ledger.services as the existing transfer kind `expiry`)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_currency_expiry_months"),
        ("payments", "0007_paymentrequest_short_code_pay_token"),
    ]

    operations = [
        migrations.CreateModel(
            name="WalletExpiry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField()),
                (
                    "amount",
                    models.BigIntegerField(help_text="The balance (minor units) the notice names."),
                ),
                ("last_activity_at", models.DateTimeField()),
                ("notified_at", models.DateTimeField()),
                ("due_at", models.DateTimeField()),
                ("expired_at", models.DateTimeField(blank=True, null=True)),
                (
                    "transfer",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.transfer",
                    ),
                ),
                (
                    "wallet",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "wallet expiries",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("wallet", "version"), name="payments_walletexpiry_once_per_version"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gt", 0)), name="payments_walletexpiry_amount"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("due_at__gt", models.F("notified_at"))),
                        name="payments_walletexpiry_notice_first",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("expired_at__isnull", True), ("transfer__isnull", True)),
                            models.Q(
                                ("expired_at__gte", models.F("due_at")), ("transfer__isnull", False)
                            ),
                            _connector="OR",
                        ),
                        name="payments_walletexpiry_expired_when_due",
                    ),
                ],
            },
        ),
    ]
