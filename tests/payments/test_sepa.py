"""pain.001 files: built by sepaxml, valid against the schema it ships, with the sums the bank
checks, and bad IBANs named instead of written."""

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from payments.sepa import CreditTransfer, SepaRefused, pain001_build

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


def transfers():
    return [
        CreditTransfer(
            name="Bakkerij Kerkrade",
            iban="NL91 ABNA 0417 1643 00",
            amount_cents=12_345,
            description="Heitje settlement 1",
            end_to_end_id="HEITJE-SETTLEMENT-1",
        ),
        CreditTransfer(
            name="Café Ühlenbrück & Zn",  # not plain ASCII: cleaned for the bank
            iban="DE89370400440532013000",
            amount_cents=5,
            description="Heitje settlement 2",
            end_to_end_id="HEITJE-SETTLEMENT-2",
        ),
    ]


def test_the_file_validates_and_its_sums_match(settings):
    document = pain001_build(transfers=transfers(), execution_date=date(2026, 12, 1))
    assert (document.count, document.total_cents) == (2, 12_350)
    xmlschema.XMLSchema(str(XSD)).validate(document.xml)

    root = ET.fromstring(document.xml.encode())
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:MsgId", namespaces=NS) == document.message_id
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "123.50"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.findtext("p:Dbtr/p:Nm", namespaces=NS) == settings.SEPA_DEBTOR_NAME
    assert info.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == settings.SEPA_DEBTOR_IBAN
    assert info.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == settings.SEPA_DEBTOR_BIC
    assert info.findtext("p:ReqdExctnDt", namespaces=NS) == "2026-12-01"
    rows = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): (
            tx.findtext("p:Amt/p:InstdAmt", namespaces=NS),
            tx.find("p:Amt/p:InstdAmt", NS).get("Ccy"),
            tx.findtext("p:Cdtr/p:Nm", namespaces=NS),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
            tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS),
        )
        for tx in info.iterfind("p:CdtTrfTxInf", NS)
    }
    assert rows == {
        "HEITJE-SETTLEMENT-1": (
            "123.45",
            "EUR",
            "Bakkerij Kerkrade",
            "NL91ABNA0417164300",
            "Heitje settlement 1",
        ),
        "HEITJE-SETTLEMENT-2": (
            "0.05",
            "EUR",
            "Cafe Uhlenbruck & Zn",
            "DE89370400440532013000",
            "Heitje settlement 2",
        ),
    }
    total = sum(int(amount.replace(".", "")) for amount, *_ in rows.values())
    assert total == document.total_cents


@pytest.mark.parametrize("iban", ["NL91ABNA0417164301", "XX00", "", "NL91 ABNA 0417 1643 00 00"])
def test_a_bad_creditor_iban_is_named(iban):
    bad = [*transfers()[:1], CreditTransfer("Slagerij", iban, 100, "x", "E2E-3")]
    with pytest.raises(SepaRefused) as refused:
        pain001_build(transfers=bad, execution_date=date(2026, 12, 1))
    assert "Slagerij" in refused.value.message


def test_a_bad_debtor_iban_or_bic_is_refused(settings):
    settings.SEPA_DEBTOR_IBAN = "NL00ABNA0123456789"
    with pytest.raises(SepaRefused):
        pain001_build(transfers=transfers(), execution_date=date(2026, 12, 1))
    settings.SEPA_DEBTOR_IBAN = "NL02ABNA0123456789"
    settings.SEPA_DEBTOR_BIC = "NOPE"
    with pytest.raises(SepaRefused):
        pain001_build(transfers=transfers(), execution_date=date(2026, 12, 1))


@pytest.mark.parametrize(
    "transfer",
    [
        CreditTransfer("Bakkerij", "NL91ABNA0417164300", 0, "x", "E2E-1"),
        CreditTransfer("Bakkerij", "NL91ABNA0417164300", -100, "x", "E2E-1"),
        CreditTransfer("Bakkerij", "NL91ABNA0417164300", 100, "x", ""),
        CreditTransfer("Bakkerij", "NL91ABNA0417164300", 100, "x", "E" * 36),
    ],
)
def test_amounts_and_ids_the_bank_would_refuse_are_refused(transfer):
    with pytest.raises(SepaRefused):
        pain001_build(transfers=[transfer], execution_date=date(2026, 12, 1))


def test_an_empty_file_is_refused():
    with pytest.raises(SepaRefused):
        pain001_build(transfers=[], execution_date=date(2026, 12, 1))


def test_the_schema_check_is_on(monkeypatch):
    """A value the schema refuses (an empty creditor name, which the name fallback otherwise
    prevents) fails the export instead of producing a file."""
    from payments import sepa

    monkeypatch.setattr(sepa, "_creditor_name", lambda transfer: "")
    odd = CreditTransfer("Bakkerij", "NL91ABNA0417164300", 100, "x", "E2E-9")
    with pytest.raises(SepaRefused) as refused:
        pain001_build(transfers=[odd], execution_date=date(2026, 12, 1))
    assert "pain.001 schema" in refused.value.message
    assert "\n" not in refused.value.message


def test_a_name_of_emoji_only_does_not_stop_the_file_for_every_shop():
    """A shop may rename itself to anything; the file still validates, naming the creditor by
    its end-to-end id (the bank pays to the IBAN), and the other shops are paid."""
    emoji = CreditTransfer("\U0001f950\U0001f35e", "NL91ABNA0417164300", 500, "x", "HEITJE-1")
    plain = CreditTransfer("Bäckerei Müller", "DE89370400440532013000", 700, "y", "HEITJE-2")
    built = pain001_build(transfers=[emoji, plain], execution_date=date(2026, 12, 1))
    assert built.count == 2
    assert built.total_cents == 1200
    assert "<Nm>HEITJE-1</Nm>" in built.xml
    assert "<Nm>Backerei Muller</Nm>" in built.xml
