"""Optional expiry per currency: `expiry_months` (null = off, the default; else 1 to 120).

Adds a nullable column and a CHECK constraint only: no trigger, transfer kind or other
constraint changes (expired tokens move as the existing transfer kind `expiry`, through
`ledger.services`, so every guard of 0002 and 0004 applies to them unchanged).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_ledger_balance_guard"),
    ]

    operations = [
        migrations.AddField(
            model_name="currency",
            name="expiry_months",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="currency",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("expiry_months__isnull", True),
                    models.Q(("expiry_months__gte", 1), ("expiry_months__lte", 120)),
                    _connector="OR",
                ),
                name="ledger_currency_expiry_months",
            ),
        ),
    ]
