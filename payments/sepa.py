"""SEPA credit transfer files (pain.001) for the municipality's bank, built with sepaxml.

sepaxml builds the document and, on export, validates it against the pain.001 XML schema it
ships (with xmlschema); we export with validation on, so a file that would not validate is never
stored. IBANs (the debtor's and every creditor's) are checked with schwifty first, so a bad one
is named instead of failing the schema as a whole. Amounts are euro cents: 1 token is EUR 1 and
a token has two decimals, so its minor units are cents.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sepaxml
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError
from text_unidecode import unidecode  # what sepaxml itself cleans names with

from core.errors import DomainError

# pain.001.001.03 (ISO 20022, 2009) is what sepaxml builds by default and what Dutch banks
# accept for credit transfers.
SCHEMA = "pain.001.001.03"
SCHEMA_PATH = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"
END_TO_END_MAX = 35
NAME_MAX = 70
DESCRIPTION_MAX = 140


class SepaRefused(DomainError, code="sepa-refused"):
    """The file cannot be built: a bad IBAN, an amount that is not whole cents, or the schema
    refusing a value."""


@dataclass(frozen=True)
class CreditTransfer:
    name: str
    iban: str
    amount_cents: int
    description: str
    end_to_end_id: str


@dataclass(frozen=True)
class Pain001:
    message_id: str
    xml: str
    total_cents: int
    count: int


def iban_checked(iban: str, *, whose: str) -> str:
    """The IBAN compact and upper-case if schwifty accepts it, or SepaRefused naming whose."""
    try:
        return str(IBAN(iban).compact)
    except (SchwiftyException, ValueError, TypeError):
        raise SepaRefused(
            _("The IBAN of %(whose)s is not valid: %(iban)s.") % {"whose": whose, "iban": iban}
        ) from None


def _debtor() -> dict[str, object]:
    config: dict[str, object] = {
        "name": settings.SEPA_DEBTOR_NAME,
        "IBAN": iban_checked(settings.SEPA_DEBTOR_IBAN, whose=settings.SEPA_DEBTOR_NAME),
        "batch": True,
        "currency": "EUR",
    }
    if settings.SEPA_DEBTOR_BIC:
        try:
            config["BIC"] = str(BIC(settings.SEPA_DEBTOR_BIC))
        except (SchwiftyException, ValueError):
            raise SepaRefused(
                _("The BIC of %(whose)s is not valid.") % {"whose": settings.SEPA_DEBTOR_NAME}
            ) from None
    return config


def _creditor_name(transfer: CreditTransfer) -> str:
    """The creditor's name as sepaxml will write it (transliterated to ASCII). A name with
    nothing left after that (emoji, say) must not stop the whole file for every shop, so it
    falls back to the end-to-end id; the bank pays to the IBAN."""
    kept = unidecode(transfer.name).strip()
    if not any(ch.isalnum() for ch in kept):
        kept = transfer.end_to_end_id
    return kept[:NAME_MAX]


def remittance_text(*, number: int, shop_name: str, language: str) -> str:
    """What the shop reads on its bank statement, in its language: "Heitje afrekening 12 -
    Bakkerij Bemelmans" (the settlement's number and the shop's name)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _("Heitje settlement %(number)d - %(shop)s") % {"number": number, "shop": shop_name}


def message_id_new() -> str:
    """The file's id: the local time on a 24-hour clock and 12 random hex digits (sepaxml's own
    id uses a 12-hour clock, so a morning and an evening file look alike)."""
    return f"{timezone.localtime():%Y%m%d%H%M%S}-{secrets.token_hex(6)}"


class _Transfer(SepaTransfer):
    """sepaxml's transfer document with our file id, set before its header is written."""

    def _create_header(self) -> None:
        self.msg_id = message_id_new()
        super()._create_header()


def pain001_build(*, transfers: Sequence[CreditTransfer], execution_date: date) -> Pain001:
    """A validated pain.001 document paying each transfer from the municipality's account
    (settings SEPA_DEBTOR_NAME / _IBAN / _BIC), in one batch, on `execution_date`."""
    if not transfers:
        raise SepaRefused(_("There is nothing to put in a transfer file."))
    document = _Transfer(_debtor(), schema=SCHEMA, clean=True)
    for transfer in transfers:
        amount = transfer.amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise SepaRefused(
                _("The transfer %(id)s has no positive amount.") % {"id": transfer.end_to_end_id}
            )
        if not 0 < len(transfer.end_to_end_id) <= END_TO_END_MAX:
            raise SepaRefused(_("An end-to-end id has 1 to 35 characters."))
        document.add_payment(
            {
                "name": _creditor_name(transfer),
                "IBAN": iban_checked(transfer.iban, whose=transfer.name),
                "amount": amount,
                "execution_date": execution_date,
                "description": transfer.description[:DESCRIPTION_MAX],
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    try:
        xml = document.export(validate=True)
    except SepaValidationError as exc:
        reason = str(exc.__cause__ or exc).strip().splitlines()[0]
        raise SepaRefused(
            _("The transfer file does not pass the pain.001 schema: %(error)s") % {"error": reason}
        ) from exc
    return Pain001(
        message_id=str(document.msg_id),
        xml=xml.decode("utf-8"),
        total_cents=sum(t.amount_cents for t in transfers),
        count=len(transfers),
    )
