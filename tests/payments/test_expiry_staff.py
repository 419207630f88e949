"""Wallet expiry in the staff console and API (finance and administrators switch it, audited
as the command does), and the resident's banner on the wallet home while a notice is pending.

The clock moves forward as in test_wallet_expiry: `now` is passed to the daily run."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from ledger import services as ledger_services
from payments import expiry
from tests.factories import currency as project_currency
from tests.factories import mint
from tests.helpers import make_user, staff_login
from tests.payments.pay_fixtures import resident

pytestmark = pytest.mark.django_db

PAGE = "/staff/payments/expiry/"
ALLOWED = ["finance", "admin"]
REFUSED = ["approver", "task_manager", "reviewer"]


def staff_client(role: str) -> Client:
    client = Client()
    staff_login(client, make_user(f"{role}@example.org", role))
    return client


def api() -> str:
    return f"/api/v1/staff/currencies/{project_currency().code}/expiry/"


def months_now() -> int | None:
    return project_currency().expiry_months


def resident_with(email: str, amount: int, language: str = "en"):
    user = resident(email, funded=amount)
    type(user).objects.filter(pk=user.pk).update(preferred_language=language)
    user.refresh_from_db()
    return user


def dormant_notice(amount: int = 1250, language: str = "en"):
    """A resident whose wallet was told it expires (the clock 400 days on)."""
    anna = resident_with("anna@example.org", amount, language)
    ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=12)
    assert expiry.wallet_expiries_notify(now=timezone.now() + timedelta(days=400)) == 1
    return anna


# --- the staff page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
def test_finance_and_admins_see_the_rule_confirm_and_switch_it_on_and_off_audited(role):
    client = staff_client(role)
    project_currency()
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Off: wallets never expire" in text
    assert 'id="menu-expiry"' in text

    ask = f"{PAGE}?code={project_currency().code}&months=18&rule=on"
    confirm = client.get(ask)
    assert confirm.status_code == 200
    words = confirm.content.decode()
    assert "Let dormant wallets expire after 18 months?" in words
    assert "they return to the municipality" in words
    assert "Nobody loses tokens without warning" in words
    assert months_now() is None  # asking changes nothing

    done = client.post(ask)
    assert done.status_code == 302
    assert months_now() == 18
    event = AuditEvent.objects.get(action="currency.expiry")
    assert event.actor_label == f"{role}@example.org"
    assert event.detail == {"code": project_currency().code, "from": None, "to": 18}
    assert "On: after 18 months without a payment or reward" in client.get(PAGE).content.decode()

    off = f"{PAGE}?code={project_currency().code}&months=&rule=off"
    words = client.get(off).content.decode()
    assert "No wallet expires while expiry is off" in words
    assert client.post(off).status_code == 302
    assert months_now() is None
    assert AuditEvent.objects.filter(action="currency.expiry").count() == 2


def test_the_page_counts_wallets_within_a_month_of_expiry_in_tokens_never_cents():
    dormant_notice(1250)
    resident_with("ben@example.org", 700)  # active today: not counted
    client = staff_client("finance")
    text = client.get(PAGE).content.decode()
    code = project_currency().code.lower()
    assert f'id="expiry-{code}-wallets">1<' in text
    assert f'id="expiry-{code}-amount">12.50\N{NO-BREAK SPACE}Heitje<' in text
    assert "1250" not in text
    # Switching off: the confirmation says who keeps what.
    off = client.get(f"{PAGE}?code={project_currency().code}&months=&rule=off").content.decode()
    assert "Wallets that keep their tokens now" in off
    assert "12.50\N{NO-BREAK SPACE}Heitje" in off


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("months=0&rule=on", "Ensure this value is greater than or equal to 1."),
        ("months=121&rule=on", "Ensure this value is less than or equal to 120."),
        ("months=&rule=on", "Say after how many months, from 1 to 120."),
        ("months=twelve&rule=on", "Enter a whole number."),
    ],
)
def test_months_outside_1_to_120_are_refused_on_the_field_and_nothing_changes(query, error):
    client = staff_client("admin")
    url = f"{PAGE}?code={project_currency().code}&{query}"
    for answer in (client.get(url), client.post(url)):
        assert answer.status_code == 422
        assert error in answer.content.decode()
    assert months_now() is None
    assert not AuditEvent.objects.filter(action="currency.expiry").exists()


@pytest.mark.parametrize("role", REFUSED)
def test_other_staff_are_refused_the_page_and_the_switch(role):
    client = staff_client(role)
    project_currency()
    url = f"{PAGE}?code={project_currency().code}&months=6&rule=on"
    assert client.get(PAGE).status_code == 403
    assert client.post(url).status_code == 403
    assert months_now() is None
    assert 'id="menu-expiry"' not in client.get("/staff/payments/", follow=True).content.decode()


def test_residents_and_strangers_are_refused():
    project_currency()
    url = f"{PAGE}?code={project_currency().code}&months=6&rule=on"
    anonymous = Client()
    assert anonymous.post(url).status_code == 302  # to sign in
    anna = Client()
    anna.force_login(resident("anna@example.org"))
    assert anna.get(PAGE).status_code == 403
    assert anna.post(url).status_code == 403
    assert months_now() is None


# --- the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
def test_api_reads_and_switches_the_rule_audited(role):
    dormant_notice(1250)
    client = staff_client(role)
    got = client.get(api())
    assert got.status_code == 200
    assert got.json() == {
        "currency": project_currency().code,
        "months": 12,
        "wallets_due": 1,
        "amount_due": 1250,
    }
    put = client.put(api(), {"months": 24}, content_type="application/json")
    assert put.status_code == 200
    assert put.json()["months"] == 24
    off = client.put(api(), {"months": None}, content_type="application/json")
    assert off.json() == {
        "currency": project_currency().code,
        "months": None,
        "wallets_due": 0,
        "amount_due": 0,
    }
    details = [e.detail for e in AuditEvent.objects.filter(action="currency.expiry").order_by("pk")]
    assert [(d["from"], d["to"]) for d in details] == [(12, 24), (24, None)]


@pytest.mark.parametrize(
    "body", [{"months": 0}, {"months": 121}, {}, {"months": 6, "extra": 1}, {"months": "6x"}]
)
def test_api_refuses_bad_bodies_with_problem_json(body):
    client = staff_client("finance")
    answer = client.put(api(), body, content_type="application/json")
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    assert months_now() is None


def test_api_unknown_currency_is_404_and_other_roles_403():
    client = staff_client("admin")
    assert client.get("/api/v1/staff/currencies/NOPE/expiry/").status_code == 404
    for role in REFUSED:
        other = staff_client(role)
        assert other.get(api()).status_code == 403
        put = other.put(api(), {"months": 6}, content_type="application/json")
        assert put.status_code == 403
    anna = Client()
    anna.force_login(resident("anna@example.org"))
    assert anna.get(api()).status_code == 403
    assert months_now() is None


# --- the resident's banner ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "12,50 Heitje gaat op "),
        ("de", "12,50 Heitje gehen am "),
        ("en", "12.50 Heitje will return to the municipality on "),
    ],
)
def test_a_pending_notice_shows_a_banner_in_the_residents_language(language, words):
    anna = dormant_notice(1250, language)
    client = Client()
    client.force_login(anna)
    page = client.get("/wallet/", HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert 'id="wallet-expiry"' in text
    assert words in text
    due = expiry.WalletExpiry.objects.get().due_at
    assert str(timezone.localdate(due).year) in text


def test_the_banner_goes_once_the_wallet_moved_or_expiry_is_off():
    anna = dormant_notice(1250)
    client = Client()
    client.force_login(anna)
    assert 'id="wallet-expiry"' in client.get("/wallet/").content.decode()
    ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=None)
    assert 'id="wallet-expiry"' not in client.get("/wallet/").content.decode()
    ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=12)
    assert 'id="wallet-expiry"' in client.get("/wallet/").content.decode()
    mint(anna.resident.wallet_id, 100)  # any movement makes the notice moot
    assert 'id="wallet-expiry"' not in client.get("/wallet/").content.decode()


def test_no_banner_without_a_notice():
    anna = resident_with("anna@example.org", 1250)
    ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=12)
    client = Client()
    client.force_login(anna)
    assert 'id="wallet-expiry"' not in client.get("/wallet/").content.decode()


def test_the_service_checks_the_role_again_and_the_command_says_so():
    from io import StringIO

    from django.core.management import CommandError, call_command

    from accounts.errors import NotAllowed

    approver = make_user("abel@example.org", "approver")
    code = project_currency().code
    with pytest.raises(NotAllowed):
        expiry.currency_expiry_switch(actor=approver, code=code, months=6)
    with pytest.raises(CommandError, match="Only finance and administrators"):
        call_command(
            "currency_expiry", code, "--months", "6", "--by", approver.email, stdout=StringIO()
        )
    assert months_now() is None
    assert not AuditEvent.objects.filter(action="currency.expiry").exists()


def test_the_preview_counts_the_wallets_a_new_rule_would_warn_without_changing_anything():
    resident_with("anna@example.org", 1250)
    resident_with("ben@example.org", 0)  # nothing to lose
    currency = project_currency()
    later = timezone.now() + timedelta(days=340)  # 11 months and a few days on
    assert expiry.expiry_outlook(currency=currency, now=later) == expiry.ExpiryOutlook(0, 0)
    assert expiry.expiry_outlook(currency=currency, months=12, now=later) == (
        expiry.ExpiryOutlook(wallets=1, amount=1250)
    )
    assert expiry.expiry_outlook(currency=currency, months=24, now=later).wallets == 0
    assert months_now() is None
    assert not expiry.WalletExpiry.objects.exists()
