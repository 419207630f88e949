"""Paying in shops: the resident's one-time pay code, the shop's signed payment request, the
shop's poster, and refunds. Money moves only through ledger.services (docs/qr.md).

Rules kept here (pages and the API only call these):
- A payment is more than 0 and at most PAYMENT_MAX; a resident's payments of the day (Europe/
  Amsterdam, net of refunds) stay within PAYMENT_DAILY_MAX. The resident's profile row is locked
  while the day's total is checked, so concurrent payments cannot both slip under the limit.
- A shop charges, and is paid, only into its own account, and only while it is approved and
  its account open. Only members (owner or cashier) act for a shop; to others it does not
  exist. Nobody pays a shop they belong to.
- A resident's code works once, until it expires (PAY_TOKEN_SECONDS); a new code ends the
  resident's older open ones. Using it and posting the payment are one transaction, with the
  code's row locked, so two tills using one code at the same moment make one payment. Refused
  payments (too few tokens, a limit) leave the code usable until it expires. Above
  PAYMENT_CONFIRM_ABOVE the resident confirms the amount: in advance when asking for the code,
  or else the charge becomes a payment request bound to that code, which only that resident
  can pay, on their own phone (the till waits for it as for a shown request).
- Failed look-ups of resident codes are counted per shop and cashier: after
  SHORT_CODE_FAILURES_MAX within SHORT_CODE_WINDOW seconds the till is refused for a while.
- A payment request is paid at most once: its row is locked and moves from open to paid in the
  transaction that posts the payment. Its 9-digit short code (for typing instead of scanning)
  is unique among open requests and found only while the request is open; failed look-ups
  count towards the resident's limit of wrong codes, as the till's do.
- Refunds: against a payment to the same shop, never above what is left of it (a CHECK in the
  database too); cashiers up to CASHIER_REFUND_MAX per refund, owners any amount.
Lock order: a request's or payment's row, then the resident's profile, then the resident's
code rows, then the ledger accounts (ledger.services, in id order). Codes come after the
profile because issuing a code (the wallet renews it every minute) locks the profile first.

The modules (imported from here, `payments.services`, by pages, the API and other apps):
- `common`: the shared checks and `payment_post`, the one way a payment is written;
- `pay_codes`: the resident's pay code (`pay_token_issue`) and the till's charge
  (`payment_charge`);
- `attempts`: the limit of wrong codes;
- `payment_requests`: the shop's signed payment request;
- `poster`: payments to a shop's poster;
- `refunds`: `payment_refund`.
"""

from .common import (
    CLIENT_KEY,
    IDEMPOTENCY_SCOPE,
    REASON_MAX,
    SHORT_CODE_FAILURES_MAX,
    SHORT_CODE_TRIES,
    SHORT_CODE_WINDOW,
    day_start,
    payment_post,
    resident_spent_today,
)
from .pay_codes import IssuedPayCode, pay_token_issue, payment_charge
from .payment_requests import (
    RequestPreview,
    payment_request_cancel,
    payment_request_code_find,
    payment_request_create,
    payment_request_pay,
    payment_request_payload,
    payment_request_preview,
)
from .poster import pay_static_shop, static_shop
from .refunds import payment_refund

# The names pages of the till and the demo still call.
charge_with_token = payment_charge
refund = payment_refund

__all__ = [
    "CLIENT_KEY",
    "IDEMPOTENCY_SCOPE",
    "REASON_MAX",
    "SHORT_CODE_FAILURES_MAX",
    "SHORT_CODE_TRIES",
    "SHORT_CODE_WINDOW",
    "IssuedPayCode",
    "RequestPreview",
    "charge_with_token",
    "day_start",
    "pay_static_shop",
    "pay_token_issue",
    "payment_charge",
    "payment_post",
    "payment_refund",
    "payment_request_cancel",
    "payment_request_code_find",
    "payment_request_create",
    "payment_request_pay",
    "payment_request_payload",
    "payment_request_preview",
    "refund",
    "resident_spent_today",
    "static_shop",
]
