"""Proposed changes to the ledger's database guards, measured on the bench database only.

`--variant NAME` applies the SQL after migrating, so the raw reference and ledger.services run
under it alike; nothing in ledger/ changes. `same-statement` was the last guard proposal; it is
migration ledger/0006_same_statement_guards now (docs/performance.md, "Proposals").
"""

# immediate-entry-fks: ledger_entry's foreign keys (to the transfer and the account) checked at
# the end of each statement instead of at COMMIT (Django makes them DEFERRABLE INITIALLY
# DEFERRED). Every writer inserts a transfer and its entries in one statement, after the
# accounts exist, so nothing would be refused that is accepted today; the question is only
# whether moving the same lookups out of COMMIT is any cheaper.
IMMEDIATE_ENTRY_FKS = r"""
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN SELECT conname FROM pg_constraint
               WHERE conrelid = 'ledger_entry'::regclass AND contype = 'f'
    LOOP
        EXECUTE format('ALTER TABLE ledger_entry ALTER CONSTRAINT %I NOT DEFERRABLE',
                       fk.conname);
    END LOOP;
END
$$;
"""

# Applied to the bench database after migrating.
SQL_VARIANTS: dict[str, str] = {
    "immediate-entry-fks": IMMEDIATE_ENTRY_FKS,
}

PYTHON_VARIANTS: frozenset[str] = frozenset()

VARIANTS = frozenset(SQL_VARIANTS) | PYTHON_VARIANTS
