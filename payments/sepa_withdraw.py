"""Withdrawing a SEPA transfer file that the bank has not executed: its settlements go back to
approved (the next file takes them again) and the file is gone. Nothing moves in the ledger:
the tokens left the shops when the settlements were approved; the euros were never paid."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from .models import SepaExport, Settlement, SettlementStatus
from .settlement import (
    EXPORT_ROLES,
    SettlementStateConflict,
    _export_found,
    _require,
    _sepa_export_move,
)


def sepa_export_withdraw(*, actor: User, export_id: int) -> SepaExport:
    """Withdraw a file none of whose settlements is paid: they become approved again and the
    file is deleted (its name, count and total stay in the audit log). Finance and
    administrators; refused once the file is marked paid."""
    _require(actor, EXPORT_ROLES, _("Only finance and administrators withdraw transfer files."))
    with transaction.atomic():
        export = _export_found(export_id, lock=True)
        settlements = list(
            Settlement.objects.select_for_update(of=("self",)).filter(export=export).order_by("id")
        )
        if any(s.status != SettlementStatus.EXPORTED for s in settlements):
            raise SettlementStateConflict(
                _("This transfer file is marked paid: it can no longer be withdrawn.")
            )
        _sepa_export_move(
            actor=actor,
            file=export,
            action="sepa_export.withdraw",
            settlements=settlements,
            changes={"status": SettlementStatus.APPROVED, "export": None},
        )
        export.delete()
    return export
