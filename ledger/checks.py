from typing import Any

from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning

from .roles import database_role_warnings


@register("ledger", deploy=True)
def ledger_database_role_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`check --deploy`: production must not run as a superuser or as the ledger tables'
    owner, either of which can switch the ledger's guards off. Connects to the database even
    without `--database`, because that role is what the check is about."""
    return [
        CheckWarning(message, hint="See docs/operations.md, 'Database roles'.", id="ledger.W001")
        for message in database_role_warnings()
    ]
