import pytest
from django.db import IntegrityError

from accounts.errors import RegistrationRefused
from accounts.services import resident_register
from ledger import services as ledger_services


def test_a_database_failure_is_not_reported_as_a_taken_email(db, monkeypatch):
    """Only the email's own unique index means 'already exists'; anything else surfaces."""

    def broken_open(**kwargs):
        raise IntegrityError("something else entirely")

    monkeypatch.setattr(ledger_services, "account_open", broken_open)
    with pytest.raises(IntegrityError):
        resident_register(
            email="anna@example.org", password="Bench-painter-2026!", display_name="Anna"
        )


def test_taken_email_is_refused_with_the_field_named(db):
    resident_register(email="anna@example.org", password="Bench-painter-2026!", display_name="Anna")
    with pytest.raises(RegistrationRefused) as refused:
        resident_register(
            email="ANNA@example.org", password="Bench-painter-2026!", display_name="Anna"
        )
    assert refused.value.field == "email"
