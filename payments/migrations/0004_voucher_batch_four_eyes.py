"""Paper voucher batches, four eyes: a batch is requested by one person and approved by another
(the database refuses the same person); it is funded on approval, and its codes are made when
the requester prints the sheet once. Batches issued before this change were funded and printed
at once: they become approved, printed by their issuer, with no second person recorded."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_alter_account_kind"),
        ("payments", "0003_settlement_iban_hold"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(
            model_name="voucherbatch", old_name="created_by", new_name="requested_by"
        ),
        migrations.RenameField(
            model_name="voucherbatch", old_name="created_at", new_name="requested_at"
        ),
        migrations.AddField(
            model_name="voucherbatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("requested", "Waiting for approval"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                ],
                default="approved",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="voucherbatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("requested", "Waiting for approval"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                ],
                default="requested",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="voucherbatch",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="voucherbatch",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="voucherbatch",
            name="decision_reason",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="voucherbatch",
            name="sheet_printed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="voucherbatch",
            name="sheet_printed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(
            "UPDATE payments_voucherbatch SET sheet_printed_at = requested_at, "
            "sheet_printed_by_id = requested_by_id",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="voucherbatch",
            name="escrow",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="voucherbatch",
            name="funding_transfer",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.transfer",
            ),
        ),
        migrations.AddConstraint(
            model_name="voucherbatch",
            constraint=models.CheckConstraint(
                condition=models.Q(("decided_by__isnull", True))
                | models.Q(("decided_by", models.F("requested_by")), _negated=True),
                name="payments_voucher_two_people",
            ),
        ),
        migrations.AddConstraint(
            model_name="voucherbatch",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "approved"), _negated=True)
                | models.Q(("escrow__isnull", False), ("funding_transfer__isnull", False)),
                name="payments_voucher_approved_funded",
            ),
        ),
        migrations.AddConstraint(
            model_name="voucherbatch",
            constraint=models.CheckConstraint(
                condition=models.Q(("sheet_printed_at__isnull", True))
                | models.Q(("status", "approved")),
                name="payments_voucher_sheet_after_approval",
            ),
        ),
        migrations.AddIndex(
            model_name="voucherbatch",
            index=models.Index(
                fields=["status", "requested_at"], name="payments_vo_status_4f1c2e_idx"
            ),
        ),
    ]
