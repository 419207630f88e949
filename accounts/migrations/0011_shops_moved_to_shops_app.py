from django.db import migrations


class Migration(migrations.Migration):
    """Shop, ShopMember and CashierInvite now live in the shops app (shops 0001), on the same
    tables: accounts forgets them in Django's state only; no table is dropped."""

    dependencies = [
        ("accounts", "0010_mail_sent_once_per_event"),
        ("shops", "0001_shops_from_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CashierInvite"),
                migrations.DeleteModel(name="ShopMember"),
                migrations.DeleteModel(name="Shop"),
            ],
        ),
    ]
