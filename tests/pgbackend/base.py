"""PostgreSQL backend for the test suite only.

The ledger refuses TRUNCATE of its tables, but Django empties the database with TRUNCATE after
each transactional test. Here, and only here, that flush runs with triggers off
(`session_replication_role = replica`, which needs the superuser the test database runs as).
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        return [
            "SET LOCAL session_replication_role = replica",
            *statements,
            "SET LOCAL session_replication_role = origin",
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
