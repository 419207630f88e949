#!/bin/sh
# Run once by the postgres image on an empty data directory: the application's own role, which
# owns nothing (docs/operations.md, "Database roles"). The grants come from `manage.py db_roles`.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE heitje_app LOGIN PASSWORD '${APP_DB_PASSWORD}';
GRANT CONNECT ON DATABASE ${POSTGRES_DB} TO heitje_app;
SQL
