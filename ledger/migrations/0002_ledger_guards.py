"""Integrity the database enforces by itself, so that no code path (raw SQL included) breaks it.

- Every transfer has at least two entries, all in the transfer's currency, summing to zero:
  checked once per transfer by a deferred constraint trigger at commit. Entries join only a
  transfer inserted by the same transaction (checked set-based once per statement), so every
  entry is covered by its transfer's check.
- Transfers, entries, blocks and accounts are never deleted or truncated; transfers, entries and
  blocks are never updated. Corrections are reversing transfers.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % is not allowed; the ledger is append-only (post a reversing transfer instead)',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER ledger_transfer_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_block_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_block
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_account_no_delete BEFORE DELETE OR TRUNCATE ON ledger_account
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    legs bigint;
    total numeric;
    foreign_legs bigint;
BEGIN
    -- Each leg's currency by primary key: a join to ledger_account would let a planner without
    -- statistics (a fresh database) hash the whole account table on every call.
    SELECT count(*), coalesce(sum(e.amount), 0),
           count(*) FILTER (WHERE (SELECT a.currency_id FROM ledger_account a WHERE a.id = e.account_id)
                                  IS DISTINCT FROM NEW.currency_id)
      INTO legs, total, foreign_legs
      FROM ledger_entry e
     WHERE e.transfer_id = NEW.id;
    IF legs < 2 OR total <> 0 OR foreign_legs > 0 THEN
        RAISE EXCEPTION 'ledger: transfer % does not balance (% entries, sum %, % in another currency)',
            NEW.id, legs, total, foreign_legs
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

-- Once per transfer, at commit: the transfer with all the entries it got in its transaction.
CREATE CONSTRAINT TRIGGER ledger_transfer_balanced AFTER INSERT ON ledger_transfer
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_transfer_balanced();

-- Once per statement, set-based: new entries join only transfers of their own transaction, so
-- every entry is covered by its transfer's check above.
CREATE FUNCTION ledger_check_entries_own_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    earlier bigint;
BEGIN
    SELECT t.id INTO earlier
      FROM (SELECT DISTINCT transfer_id FROM ledger_new_entries) AS n
      JOIN ledger_transfer t ON t.id = n.transfer_id
     WHERE t.txid <> pg_current_xact_id()::text::bigint
     LIMIT 1;
    IF earlier IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: transfer % was written by an earlier transaction; legs cannot be added to it',
            earlier
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_entry_own_transfer AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS ledger_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_own_transfer();
"""

BACKWARD = r"""
DROP TRIGGER ledger_entry_own_transfer ON ledger_entry;
DROP FUNCTION ledger_check_entries_own_transfer();
DROP TRIGGER ledger_transfer_balanced ON ledger_transfer;
DROP FUNCTION ledger_check_transfer_balanced();
DROP TRIGGER ledger_account_no_delete ON ledger_account;
DROP TRIGGER ledger_block_append_only ON ledger_block;
DROP TRIGGER ledger_entry_append_only ON ledger_entry;
DROP TRIGGER ledger_transfer_append_only ON ledger_transfer;
DROP FUNCTION ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
