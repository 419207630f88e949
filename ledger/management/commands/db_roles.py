from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from ledger.roles import app_role_grants


class Command(BaseCommand):
    help = (
        "Print (or with --apply, run as the owner role) the GRANTs that give the application's "
        "database role exactly what it needs: append-only on the ledger, nothing owned. Run "
        "again after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="the application's login role")
        parser.add_argument(
            "--apply", action="store_true", help="run the statements instead of printing them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        statements = app_role_grants(app_role=options["app_role"])
        if not options["apply"]:
            self.stdout.write("".join(f"{sql};\n" for sql in statements))
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(f"{len(statements)} statements applied for {options['app_role']}.")
