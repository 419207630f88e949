"""The programme's own rules, read from the environment: keys, the currency, the municipality's
desk, rewards, payments and settlements. Amounts are in minor units (cents of a token).

`base.py` star-imports this module, so these names stay `django.conf.settings` attributes.
"""

import environ

from .paths import VAR_DIR

env = environ.Env()

# The ledger's block-signing key (Ed25519, PEM, PKCS#8). In development a key is generated under
# var/ on first use; production must provide one. LEDGER_VERIFY_KEYS lists retired public keys
# (PEM) so that blocks they signed keep verifying after a rotation.
LEDGER_SIGNING_KEY = env.str("LEDGER_SIGNING_KEY", default="")
LEDGER_SIGNING_KEY_FILE = env.str(
    "LEDGER_SIGNING_KEY_FILE", default=str(VAR_DIR / "ledger-signing-key.pem")
)
LEDGER_VERIFY_KEYS: list[str] = env.list("LEDGER_VERIFY_KEYS", default=[])

# The demo community's currency. 1 token = EUR 1, two decimals.
CURRENCY_CODE = env.str("CURRENCY_CODE", default="HEITJE")
CURRENCY_NAME = env.str("CURRENCY_NAME", default="Heitje")

# Where residents without the letter's code verify their residency: the municipality's desk
# (its address), its opening hours (Dutch; _DE and _EN in those languages, else the Dutch) and
# phone number, shown at sign-up and in the wallet.
MUNICIPALITY_DESK = env.str("MUNICIPALITY_DESK", default="Stadskantoor, Geleenstraat 27, Heerlen")
MUNICIPALITY_DESK_HOURS = env.str("MUNICIPALITY_DESK_HOURS", default="ma-vr 9:00-17:00")
MUNICIPALITY_DESK_HOURS_DE = env.str("MUNICIPALITY_DESK_HOURS_DE", default="Mo-Fr 9:00-17:00")
MUNICIPALITY_DESK_HOURS_EN = env.str("MUNICIPALITY_DESK_HOURS_EN", default="Mon-Fri 9:00-17:00")
MUNICIPALITY_PHONE = env.str("MUNICIPALITY_PHONE", default="14 045")

# Rewards (amounts in minor units: cents of a token). The volunteer-allowance rules: at most
# EUR 5 per hour of work and EUR 1,500 per person per calendar year.
# The hourly cap holds per task (reward <= cap x estimated minutes / 60) and across a resident's
# claims: claims whose work times overlap may together pay at most this per hour (docs/access.md).
REWARDS_HOURLY_CAP = env.int("REWARDS_HOURLY_CAP", default=500)
REWARDS_ANNUAL_CAP = env.int("REWARDS_ANNUAL_CAP", default=150_000)
# These and the two above are the fallback for a calendar year without its own earning rules,
# which staff set per year (rewards.earning, docs/impact.md "The earning rules"): the youth
# hourly rate below an age (EUR 2.75 under 21) and a monthly cap (0: none).
REWARDS_YOUTH_HOURLY_CAP = env.int("REWARDS_YOUTH_HOURLY_CAP", default=275)
REWARDS_YOUTH_UNDER_AGE = env.int("REWARDS_YOUTH_UNDER_AGE", default=21)
REWARDS_MONTHLY_CAP = env.int("REWARDS_MONTHLY_CAP", default=0)
# Above this reward a second approver (not the reviewer) must approve the claim.
REWARDS_SECOND_APPROVAL_ABOVE = env.int("REWARDS_SECOND_APPROVAL_ABOVE", default=2_500)
# A reserved claim not submitted within this many hours expires and frees its slot.
REWARDS_RESERVATION_HOURS = env.int("REWARDS_RESERVATION_HOURS", default=72)
EVIDENCE_MAX_PHOTOS = 5
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Larger images are refused from their header, before any pixel is decoded (24 MP: a 6000 x
# 4000 phone photo; decoding one costs about 70 MB).
EVIDENCE_MAX_PIXELS = env.int("EVIDENCE_MAX_PIXELS", default=24_000_000)
# Evidence submissions (attempts, refused ones included) one resident may make per hour.
REWARDS_SUBMITS_PER_HOUR = env.int("REWARDS_SUBMITS_PER_HOUR", default=12)
# Fraud signals flagged on a submitted claim for the reviewer (rewards.fraud): sent sooner than
# this fraction of the task's estimated time after reserving; evidence farther than this many
# metres from the task; a photo within this many bits (of 64) of another claim's photo; this
# many claims of one resident within this many minutes.
REWARDS_FLAG_FAST_FRACTION = env.float("REWARDS_FLAG_FAST_FRACTION", default=0.25)
REWARDS_FLAG_DISTANCE_METRES = env.int("REWARDS_FLAG_DISTANCE_METRES", default=500)
REWARDS_FLAG_PHASH_BITS = env.int("REWARDS_FLAG_PHASH_BITS", default=10)
REWARDS_FLAG_BURST_COUNT = env.int("REWARDS_FLAG_BURST_COUNT", default=5)
REWARDS_FLAG_BURST_MINUTES = env.int("REWARDS_FLAG_BURST_MINUTES", default=60)

# Payments (minor units). Payment requests shown by shops are signed with an Ed25519 key
# (PEM, PKCS#8): PAYMENT_SIGNING_KEY in production, generated under var/ in development;
# PAYMENT_VERIFY_KEYS lists retired public keys (PEM) so codes in flight keep verifying.
PAYMENT_SIGNING_KEY = env.str("PAYMENT_SIGNING_KEY", default="")
PAYMENT_SIGNING_KEY_FILE = env.str(
    "PAYMENT_SIGNING_KEY_FILE", default=str(VAR_DIR / "payment-signing-key.pem")
)
PAYMENT_VERIFY_KEYS: list[str] = env.list("PAYMENT_VERIFY_KEYS", default=[])
PAY_TOKEN_SECONDS = env.int("PAY_TOKEN_SECONDS", default=60)
PAYMENT_REQUEST_SECONDS = env.int("PAYMENT_REQUEST_SECONDS", default=300)
PAYMENT_MAX = env.int("PAYMENT_MAX", default=10_000)  # per payment, EUR 100
PAYMENT_DAILY_MAX = env.int("PAYMENT_DAILY_MAX", default=30_000)  # per resident per day
PAYMENT_CONFIRM_ABOVE = env.int("PAYMENT_CONFIRM_ABOVE", default=2_500)
CASHIER_REFUND_MAX = env.int("CASHIER_REFUND_MAX", default=2_000)
SETTLEMENT_FEE_PERMILLE = env.int("SETTLEMENT_FEE_PERMILLE", default=0)
# A settlement requested this many days after an IBAN change waits for staff to confirm it.
SETTLEMENT_IBAN_HOLD_DAYS = env.int("SETTLEMENT_IBAN_HOLD_DAYS", default=14)
# The municipality's account that pays shops in euros (SEPA debtor).
SEPA_DEBTOR_NAME = env.str("SEPA_DEBTOR_NAME", default="Gemeente Heerlen")
SEPA_DEBTOR_IBAN = env.str("SEPA_DEBTOR_IBAN", default="NL02ABNA0123456789")
SEPA_DEBTOR_BIC = env.str("SEPA_DEBTOR_BIC", default="ABNANL2A")
