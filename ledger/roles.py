"""Least privilege for the database: what the application's role may do, and a check that
production does not run as a role that could switch the ledger's guards off.

Migrations run as an owner role; the web and worker processes run as an application role that
owns nothing. The ledger's guards are triggers and constraints; only a table's owner (or a
superuser) can disable or drop them, so the application's role must be neither. Its grants:
full DML on every table of the apps above the ledger; on the ledger's tables SELECT and INSERT
only (append-only), plus UPDATE of the four `ledger_account` columns the services write
(balance, version: by posting; status: freeze and close; name: rename). Docs:
docs/operations.md ("Database roles").
"""

from django.db import DatabaseError, connection

LEDGER_PREFIX = "ledger_"
ACCOUNT_UPDATABLE_COLUMNS = ("balance", "version", "status", "name")
READ_ONLY_TABLES = frozenset({"django_migrations"})


def app_role_grants(*, app_role: str) -> list[str]:
    """The statements that give `app_role` exactly the application's privileges on the current
    database's tables (as they are now: run again after every migration). Revokes first, so
    running them again converges on the same grants."""
    quote = connection.ops.quote_name
    role = quote(app_role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
    tables = sorted(connection.introspection.table_names(include_views=False))
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {quote(schema)} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quote(schema)} FROM {role}",
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {quote(schema)} TO {role}",
    ]
    for table in tables:
        if table.startswith(LEDGER_PREFIX):
            statements.append(f"GRANT SELECT, INSERT ON TABLE {quote(table)} TO {role}")
        elif table in READ_ONLY_TABLES:
            statements.append(f"GRANT SELECT ON TABLE {quote(table)} TO {role}")
        else:
            statements.append(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {quote(table)} TO {role}"
            )
    columns = ", ".join(quote(c) for c in ACCOUNT_UPDATABLE_COLUMNS)
    statements.append(f"GRANT UPDATE ({columns}) ON TABLE {quote('ledger_account')} TO {role}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {role}")
    return statements


_ROLE_SQL = r"""
SELECT r.rolsuper,
       array(SELECT c.relname::text
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
                AND c.relname LIKE 'ledger\_%'
                AND pg_has_role(current_user, c.relowner, 'USAGE')
              ORDER BY c.relname)
  FROM pg_roles r WHERE r.rolname = current_user
"""


def database_role_risks() -> tuple[str, bool, list[str]]:
    """The current role's name, whether it is a superuser, and the ledger tables it owns
    (directly or through a role it inherits): either lets it switch the ledger's guards off."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (name,) = cursor.fetchone()
        cursor.execute(_ROLE_SQL)
        superuser, owned = cursor.fetchone()
    return name, bool(superuser), list(owned)


def database_role_warnings() -> list[str]:
    """Sentences for `check --deploy`; empty when the role is neither superuser nor owner."""
    try:
        name, superuser, owned = database_role_risks()
    except DatabaseError as exc:
        return [f"Could not check the database role: {exc}".strip()]
    if superuser:
        return [
            f"The application connects to PostgreSQL as {name!r}, a superuser: it can switch "
            "the ledger's triggers off (session_replication_role) and rewrite history."
        ]
    if owned:
        return [
            f"The application's database role {name!r} owns the ledger tables "
            f"({', '.join(owned)}): it can disable or drop their triggers. Run migrations as an "
            "owner role and the application as a role with only the grants of "
            "`manage.py db_roles`."
        ]
    return []
