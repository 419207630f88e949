"""Every transfer is checked at the end of the statement that writes it, not at commit.

0002 checked each transfer once, at COMMIT, by a deferred row trigger (~30 us of trigger
machinery and one aggregate per transfer), plus a statement trigger that kept entries to
transfers of their own transaction. Here both become set-based statement triggers over the
statement's transition tables, so nothing but the foreign keys and 0004's balance guard is left
for COMMIT. The invariants are the same ones:

- every transfer has at least two entries, all in the transfer's currency, summing to zero;
- entries join only a transfer written by the same transaction;
- a transfer without entries is refused.

One rule is new: a transfer and its entries are written by one statement (a CTE, as
`ledger.services` and every writer in this project do). `ledger_check_new_transfers` refuses a
transfer that has no entries when its statement ends. `ledger_check_new_entries` checks, at the
end of every statement that inserts entries, each transfer they touch over all its entries (not
only the new ones), so legs added by a later statement of the same transaction are checked again
over the whole transfer. As entries are never updated or deleted (0002's append-only triggers),
a transfer that balanced after the last statement that added legs to it still balances at commit.
The entries' foreign keys stay deferred to commit (Django's default), so a leg whose transfer or
account does not exist is refused by the statement check (no such transfer, or another currency)
and, in any case, by the foreign key.

Each leg's currency is looked up by primary key (a scalar subquery, as 0002's `robust-check`),
so a fresh database without statistics cannot turn the check into a hash of the account table.
"""

from django.db import migrations

FORWARD = r"""
DROP TRIGGER ledger_transfer_balanced ON ledger_transfer;
DROP FUNCTION ledger_check_transfer_balanced();
DROP TRIGGER ledger_entry_own_transfer ON ledger_entry;
DROP FUNCTION ledger_check_entries_own_transfer();

CREATE FUNCTION ledger_check_new_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.transfer_id, count(e.id) AS legs, coalesce(sum(e.amount), 0) AS total,
           count(e.id) FILTER (
               WHERE (SELECT a.currency_id FROM ledger_account a WHERE a.id = e.account_id)
                     IS DISTINCT FROM t.currency_id) AS foreign_legs,
           bool_or(t.id IS NULL) AS missing,
           bool_or(t.txid <> pg_current_xact_id()::text::bigint) AS earlier
      INTO bad
      FROM (SELECT DISTINCT transfer_id FROM ledger_new_entries) AS n
      LEFT JOIN ledger_transfer t ON t.id = n.transfer_id
      LEFT JOIN ledger_entry e ON e.transfer_id = n.transfer_id
     GROUP BY n.transfer_id
    HAVING count(e.id) < 2
        OR coalesce(sum(e.amount), 0) <> 0
        OR count(e.id) FILTER (
               WHERE (SELECT a.currency_id FROM ledger_account a WHERE a.id = e.account_id)
                     IS DISTINCT FROM t.currency_id) > 0
        OR bool_or(t.id IS NULL)
        OR bool_or(t.txid <> pg_current_xact_id()::text::bigint)
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF bad.missing THEN
        RAISE EXCEPTION 'ledger: transfer % does not exist; write a transfer and its entries in one statement',
            bad.transfer_id
            USING ERRCODE = 'check_violation';
    ELSIF bad.earlier THEN
        RAISE EXCEPTION 'ledger: transfer % was written by an earlier transaction; legs cannot be added to it',
            bad.transfer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'ledger: transfer % does not balance (% entries, sum %, % in another currency)',
        bad.transfer_id, bad.legs, bad.total, bad.foreign_legs
        USING ERRCODE = 'check_violation';
END
$$;

-- Once per statement, set-based: every transfer the new entries touch, over all its entries.
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
        RAISE EXCEPTION 'ledger: transfer % has no entries; write a transfer and its entries in one statement',
            bad
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

-- Once per statement, set-based: no new transfer is left without entries (the entries'
-- trigger above has checked those it has).
CREATE TRIGGER ledger_transfer_has_entries AFTER INSERT ON ledger_transfer
    REFERENCING NEW TABLE AS ledger_new_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_transfers();
"""

# 0002's two checks, exactly as they were.
BACKWARD = r"""
DROP TRIGGER ledger_transfer_has_entries ON ledger_transfer;
DROP FUNCTION ledger_check_new_transfers();
DROP TRIGGER ledger_entry_balanced ON ledger_entry;
DROP FUNCTION ledger_check_new_entries();

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


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_currency_expiry_months")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
