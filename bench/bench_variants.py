"""Proposed changes to the ledger's database guards, measured on the bench database only.

`--variant NAME` applies the SQL after migrating, so the raw reference and ledger.services run
under it alike; nothing in ledger/ changes. Written against 0002_ledger_guards (a deferred
balance check per transfer plus a set-based "own transaction" check per statement).
"""

# same-statement: a transfer and all its entries are written by one statement (ledger.services
# does, with its CTE; raw SQL can, see bench_workers._RAW_TRANSFER_AND_ENTRIES). Then both
# checks run set-based at the end of each statement, over its transition tables, and nothing
# but the foreign keys is left to fire at COMMIT: ~30 us less per transfer. Same guarantees as
# today (>= 2 entries, sum 0, all in the transfer's currency; entries only for transfers of
# their own transaction); raw SQL that inserts a transfer and its entries in separate
# statements is refused.
SAME_STATEMENT = r"""
DROP TRIGGER IF EXISTS ledger_transfer_balanced ON ledger_transfer;
DROP TRIGGER IF EXISTS ledger_entry_own_transfer ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;

CREATE FUNCTION ledger_check_new_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.transfer_id, count(e.id) AS legs, coalesce(sum(e.amount), 0) AS total,
           bool_or(t.txid IS DISTINCT FROM pg_current_xact_id()::text::bigint) AS earlier
      INTO bad
      FROM (SELECT DISTINCT transfer_id FROM ledger_new_entries) AS n
      LEFT JOIN ledger_transfer t ON t.id = n.transfer_id
      LEFT JOIN ledger_entry e ON e.transfer_id = n.transfer_id
      LEFT JOIN ledger_account a ON a.id = e.account_id
     GROUP BY n.transfer_id
    HAVING count(e.id) < 2
        OR coalesce(sum(e.amount), 0) <> 0
        OR NOT coalesce(bool_and(t.id IS NOT NULL AND a.currency_id = t.currency_id), false)
        OR bool_or(t.txid IS DISTINCT FROM pg_current_xact_id()::text::bigint)
     LIMIT 1;
    IF FOUND AND bad.earlier THEN
        RAISE EXCEPTION 'ledger: transfer % was written by an earlier transaction; '
            'legs cannot be added to it', bad.transfer_id
            USING ERRCODE = 'check_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'ledger: transfer % does not balance (% entries, sum %)',
            bad.transfer_id, bad.legs, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS ledger_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_entries();

CREATE FUNCTION ledger_check_new_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT t.id INTO bad
      FROM ledger_new_transfers t
     WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transfer_id = t.id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: transfer % has no entries (write them in the same statement)',
            bad USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_transfer_balanced AFTER INSERT ON ledger_transfer
    REFERENCING NEW TABLE AS ledger_new_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_transfers();
"""

# Applied to the bench database after migrating.
SQL_VARIANTS: dict[str, str] = {
    "same-statement": SAME_STATEMENT,
}

PYTHON_VARIANTS: frozenset[str] = frozenset()

VARIANTS = frozenset(SQL_VARIANTS) | PYTHON_VARIANTS
