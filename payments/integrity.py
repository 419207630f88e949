"""Cross-checks of payments, refunds and paper vouchers against the ledger, run by
`manage.py ledger_verify` (registered in PaymentsConfig.ready()). Each yields one sentence per
row whose ledger transfer does not move what the row says, in the verify's snapshot."""

from collections.abc import Iterator

from django.db import connection

from ledger.verify import transfers_mismatching

# A payment moves its amount from the payer's account to the shop's; a refund moves it back.
_PAYMENTS = """
SELECT p.id, p.amount, p.payer_account_id, s.account_id, p.transfer_id
  FROM payments_payment p JOIN accounts_shop s ON s.id = p.shop_id
"""
_REFUNDS = """
SELECT r.id, r.amount, s.account_id, p.payer_account_id, r.transfer_id
  FROM payments_refund r
  JOIN payments_payment p ON p.id = r.payment_id
  JOIN accounts_shop s ON s.id = p.shop_id
"""
_VOUCHER_BATCHES = """
SELECT b.id, b.value * b.count, b.budget_id, b.escrow_id, b.funding_transfer_id
  FROM payments_voucherbatch b
 WHERE b.status = 'approved' OR b.funding_transfer_id IS NOT NULL
"""

_REFUNDED_SQL = """
SELECT p.id, p.refunded, coalesce(sum(r.amount), 0)
  FROM payments_payment p LEFT JOIN payments_refund r ON r.payment_id = p.id
 GROUP BY p.id
HAVING p.refunded <> coalesce(sum(r.amount), 0)
 ORDER BY p.id
"""

# A redeemed voucher is a voucher payment of the batch's value out of the batch's escrow.
_VOUCHERS_SQL = """
SELECT v.id, v.redeemed_at IS NOT NULL, p.id, p.method, p.amount, p.payer_account_id,
       b.value, b.escrow_id
  FROM payments_voucher v
  JOIN payments_voucherbatch b ON b.id = v.batch_id
  LEFT JOIN payments_payment p ON p.id = v.payment_id
 WHERE (v.payment_id IS NULL) = (v.redeemed_at IS NOT NULL)
    OR p.method <> 'voucher' OR p.amount <> b.value OR p.payer_account_id <> b.escrow_id
 ORDER BY v.id
"""


def payments_verify() -> Iterator[str]:
    """Every payment, refund and voucher batch's funding moved exactly what its row says, each
    payment's `refunded` is the sum of its refunds, and every redeemed voucher was paid once,
    for the batch's value, out of the batch's escrow."""
    for label, sql in (
        ("payment", _PAYMENTS),
        ("refund", _REFUNDS),
        ("voucher batch", _VOUCHER_BATCHES),
    ):
        for mismatch in transfers_mismatching(expected_sql=sql):
            yield mismatch.describe(label)
    with connection.cursor() as cursor:
        cursor.execute(_REFUNDED_SQL)
        for payment_id, refunded, total in cursor.fetchall():
            yield f"payment #{payment_id}: refunded {refunded}, but its refunds sum to {total}"
        cursor.execute(_VOUCHERS_SQL)
        for (
            voucher_id,
            redeemed,
            payment_id,
            method,
            amount,
            payer,
            value,
            escrow,
        ) in cursor.fetchall():
            if payment_id is None:
                yield f"voucher #{voucher_id}: redeemed, but no payment records it"
            elif not redeemed:
                yield f"voucher #{voucher_id}: not redeemed, but paid by payment #{payment_id}"
            else:
                yield (
                    f"voucher #{voucher_id}: paid by payment #{payment_id} ({method}, {amount} "
                    f"from account #{payer}), not {value} from its batch's escrow #{escrow}"
                )
