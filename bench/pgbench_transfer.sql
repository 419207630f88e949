-- The physical reference of the HTTP bench (bench/http_bench.py): one durable two-account
-- transfer per transaction on a lean schema (bench/http_bench.py creates it), run by pgbench.
-- The same work a payment's ledger part does, with nothing else: lock both accounts in id order,
-- move the balances and versions on, write the transfer and its two entries, COMMIT.
\set a random(1, :accounts)
\set d random(1, :accounts - 1)
\set b 1 + (:a - 1 + :d) % :accounts
\set amount random(1, 100)
BEGIN;
SELECT id FROM lean_account WHERE id IN (:a, :b) ORDER BY id FOR NO KEY UPDATE;
UPDATE lean_account SET balance = balance - :amount, version = version + 1 WHERE id = :a;
UPDATE lean_account SET balance = balance + :amount, version = version + 1 WHERE id = :b;
WITH t AS (INSERT INTO lean_transfer (amount) VALUES (:amount) RETURNING id)
INSERT INTO lean_entry (transfer_id, account_id, amount)
SELECT t.id, leg.account_id, leg.amount FROM t,
       (VALUES (:a::bigint, -:amount::bigint), (:b::bigint, :amount::bigint)) AS leg(account_id, amount);
END;
