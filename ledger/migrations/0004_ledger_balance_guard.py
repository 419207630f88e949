"""A cached balance changes only together with the entries that explain it.

`ledger_account.balance` and `version` cache the account's latest entry (`balance_after`,
`account_version`). A deferred constraint trigger checks, at commit, every account whose balance
or version changed in the transaction (or that was opened with a non-zero one): its cached
balance and version must equal those of its latest entry, or 0 and 0 when it has none. So a raw
`UPDATE ledger_account SET balance = ...` is refused at commit, as is rewinding an account to an
older entry, while `ledger.services` (entries and balances in one statement) and any writer that
inserts matching entries in the same transaction pass. Status and name changes queue no check
(the trigger's WHEN compares balance and version only).

Deferred to commit rather than per statement because a careful writer may update the balances
before inserting the entries (the benchmark's hand-written reference does); at commit the order
no longer matters. The account row stays locked by its update until then, so no other
transaction can add entries in between. Each check is one primary-key read and one probe of the
(account, account_version) unique index.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION ledger_check_balance_matches_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cached_balance bigint;
    cached_version bigint;
    last_balance bigint;
    last_version bigint;
BEGIN
    SELECT a.balance, a.version INTO cached_balance, cached_version
      FROM ledger_account a WHERE a.id = NEW.id;
    SELECT e.balance_after, e.account_version INTO last_balance, last_version
      FROM ledger_entry e WHERE e.account_id = NEW.id
     ORDER BY e.account_version DESC LIMIT 1;
    IF cached_balance <> coalesce(last_balance, 0) OR cached_version <> coalesce(last_version, 0)
    THEN
        RAISE EXCEPTION 'ledger: account % would hold % at version %, but its latest entry says % at version %; a balance changes only by posting a transfer',
            NEW.id, cached_balance, cached_version, coalesce(last_balance, 0),
            coalesce(last_version, 0)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_account_balance_has_entries AFTER UPDATE ON ledger_account
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.balance IS DISTINCT FROM NEW.balance OR OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION ledger_check_balance_matches_entries();

CREATE CONSTRAINT TRIGGER ledger_account_opens_empty AFTER INSERT ON ledger_account
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.balance <> 0 OR NEW.version <> 0)
    EXECUTE FUNCTION ledger_check_balance_matches_entries();
"""

BACKWARD = r"""
DROP TRIGGER ledger_account_opens_empty ON ledger_account;
DROP TRIGGER ledger_account_balance_has_entries ON ledger_account;
DROP FUNCTION ledger_check_balance_matches_entries();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_alter_account_kind")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
