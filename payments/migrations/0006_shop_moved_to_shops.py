import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The shop foreign keys now point at shops.Shop (moved from accounts, same table): state
    only, the database's constraints already point at accounts_shop."""

    dependencies = [
        ("payments", "0005_code_attempts_without_cache"),
        ("shops", "0001_shops_from_accounts"),
    ]
    # accounts forgets its Shop only after nothing points at it any more.
    run_before = [("accounts", "0011_shops_moved_to_shops_app")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="payment",
                    name="shop",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="shops.shop",
                    ),
                ),
                migrations.AlterField(
                    model_name="paymentrequest",
                    name="shop",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_requests",
                        to="shops.shop",
                    ),
                ),
                migrations.AlterField(
                    model_name="settlement",
                    name="shop",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="settlements",
                        to="shops.shop",
                    ),
                ),
            ],
        ),
    ]
