import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("shop", "shopmember", "cashierinvite")


def content_types_move(apps, schema_editor, source="accounts", target="shops"):
    """The models' content types (and so their permissions) follow them to this app. A fresh
    database has none yet: Django creates them after migrating."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label=source, model__in=MOVED).update(app_label=target)


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, source="shops", target="accounts")


class Migration(migrations.Migration):
    """Shop, ShopMember and CashierInvite move here from accounts. Only Django's state changes:
    the tables keep their names (accounts_shop, accounts_shopmember, accounts_cashierinvite), so
    no row moves. Then payments 0004 points its foreign keys here and accounts 0009 forgets the
    models, both also state only."""

    initial = True

    dependencies = [
        ("accounts", "0010_mail_sent_once_per_event"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ledger", "0003_alter_account_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Shop",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        ("address", models.CharField(max_length=200)),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("groceries", "Groceries"),
                                    ("bakery", "Bakery"),
                                    ("cafe", "Café or restaurant"),
                                    ("hardware", "Hardware and garden"),
                                    ("clothing", "Clothing"),
                                    ("services", "Services"),
                                    ("culture", "Culture and leisure"),
                                    ("other", "Other"),
                                ],
                                max_length=16,
                            ),
                        ),
                        (
                            "iban",
                            models.CharField(
                                help_text="Validated and stored without spaces.", max_length=34
                            ),
                        ),
                        ("chamber_of_commerce", models.CharField(blank=True, max_length=8)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending approval"),
                                    ("approved", "Approved"),
                                    ("suspended", "Suspended"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                        ("status_reason", models.CharField(blank=True, max_length=500)),
                        (
                            "iban_changed_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="When the owner last changed the IBAN.",
                                null=True,
                            ),
                        ),
                        (
                            "pending_name",
                            models.CharField(
                                blank=True,
                                help_text="A new name waiting for staff review.",
                                max_length=100,
                            ),
                        ),
                        (
                            "pending_address",
                            models.CharField(
                                blank=True,
                                help_text="A new address waiting for staff review.",
                                max_length=200,
                            ),
                        ),
                        ("change_requested_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "account",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="shop",
                                to="ledger.account",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_shop",
                    },
                ),
                migrations.CreateModel(
                    name="CashierInvite",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("email", models.EmailField(max_length=254)),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("expires_at", models.DateTimeField()),
                        ("accepted_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "accepted_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "invited_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "shop",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="cashier_invites",
                                to="shops.shop",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_cashierinvite",
                    },
                ),
                migrations.CreateModel(
                    name="ShopMember",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[("owner", "Shop owner"), ("cashier", "Cashier")],
                                max_length=16,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "shop",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="members",
                                to="shops.shop",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="shop_memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_shopmember",
                    },
                ),
                migrations.AddConstraint(
                    model_name="shop",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "approved"), _negated=True),
                            ("account__isnull", False),
                            _connector="OR",
                        ),
                        name="accounts_shop_approved_has_account",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="shopmember",
                    constraint=models.UniqueConstraint(
                        fields=("shop", "user"), name="accounts_shopmember_once"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(content_types_move, content_types_back),
            ],
        ),
    ]
