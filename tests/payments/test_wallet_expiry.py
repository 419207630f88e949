"""Issue 15, point 10: optional expiry of dormant wallets (payments.expiry, docs/ledger.md).

Transfers are stamped by the database and never changed, so the tests move the clock forward
instead: `now` is passed to the services as a day months ahead of the wallets' last entry."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.errors import InvalidTransfer
from ledger.models import Currency, Entry, Transfer, TransferKind
from ledger.verify import ledger_verify
from payments import expiry
from payments.models import WalletExpiry
from payments.tasks import wallet_expiry_task
from tests.concurrency import run_together
from tests.factories import balance, mint
from tests.factories import currency as project_currency
from tests.helpers import make_user
from tests.payments.pay_fixtures import resident

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def resident_with(email: str, amount: int, language: str = "nl"):
    user = resident(email, funded=amount)
    type(user).objects.filter(pk=user.pk).update(preferred_language=language)
    user.refresh_from_db()
    return user


def expiry_on(months: int = 12) -> Currency:
    return ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=months)


def supply() -> int:
    return ledger_selectors.currency_supply(currency=project_currency())


def expiry_transfers() -> list[Transfer]:
    return list(Transfer.objects.filter(kind=TransferKind.EXPIRY).order_by("pk"))


def test_off_by_default_nothing_expires_however_long_a_wallet_sleeps(
    django_capture_on_commit_callbacks,
):
    anna = resident_with("anna@example.org", 1250)
    assert project_currency().expiry_months is None
    far = timezone.now() + timedelta(days=3650)
    with django_capture_on_commit_callbacks(execute=True):
        assert wallet_expiry_task() == (0, 0)
        assert expiry.wallets_expire(now=far) == 0
        assert expiry.wallet_expiries_notify(now=far) == 0
    assert balance(anna.resident.wallet_id) == 1250
    assert expiry_transfers() == []
    assert not Notification.objects.filter(user=anna).exists()
    assert mail.outbox == []


def test_a_dormant_wallet_is_told_a_month_ahead_once_then_returns_exactly_its_balance(
    django_capture_on_commit_callbacks,
):
    anna = resident_with("anna@example.org", 1250, language="en")
    ben = resident_with("ben@example.org", 0)
    wallet = anna.resident.wallet_id
    expiry_on(12)
    last = Entry.objects.get(account_id=wallet, account_version=1).transfer.created_at
    supply_before = supply()

    # Eleven months on the clock minus a few days: not yet within a month of expiry.
    with django_capture_on_commit_callbacks(execute=True):
        assert expiry.wallet_expiries_notify(now=last + timedelta(days=320)) == 0
    assert mail.outbox == []

    notice_day = last + timedelta(days=340)  # 11 months and a few days: within the month
    with django_capture_on_commit_callbacks(execute=True):
        assert expiry.wallet_expiries_notify(now=notice_day) == 1
        # The next days' runs send nothing more for the same due expiry.
        assert expiry.wallet_expiries_notify(now=notice_day + DAY) == 0
        assert expiry.wallet_expiries_notify(now=notice_day + 20 * DAY) == 0
    # Ben's empty wallet has nothing to lose and is not bothered.
    assert not Notification.objects.filter(user=ben).exists()
    notice = Notification.objects.get(user=anna)
    assert notice.kind == "wallet.expiry"
    assert notice.title == "Your Heitje will expire"
    assert "12.50 Heitje in your wallet will return to the municipality on" in notice.body
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.org"]
    assert "12.50 Heitje in your wallet will return to the municipality" in mail.outbox[0].body

    due = WalletExpiry.objects.get(wallet_id=wallet)
    assert due.amount == 1250
    # A year after the last entry, and never less than a month after the notice.
    assert due.due_at >= last.replace(year=last.year + 1)
    assert due.due_at >= notice_day + 28 * DAY
    assert due.due_at <= notice_day + 31 * DAY

    assert expiry.wallets_expire(now=due.due_at - timedelta(seconds=1)) == 0
    assert balance(wallet) == 1250

    assert expiry.wallets_expire(now=due.due_at) == 1
    assert balance(wallet) == 0
    assert supply() == supply_before - 1250  # back with the issuer: out of circulation
    [transfer] = expiry_transfers()
    legs = sorted((e.account_id, e.amount) for e in transfer.entries.all())
    issuer = ledger_selectors.issuer_account(currency=project_currency())
    assert legs == sorted([(wallet, -1250), (issuer.pk, 1250)])
    assert transfer.metadata["wallet_expiry"] == due.pk

    # Running again, the same day or later, expires and tells nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert expiry.wallets_expire(now=due.due_at) == 0
        assert expiry.wallets_expire(now=due.due_at + 400 * DAY) == 0
        assert expiry.wallet_expiries_notify(now=due.due_at + 400 * DAY) == 0
    assert len(expiry_transfers()) == 1
    assert len(mail.outbox) == 1
    report = ledger_verify()
    assert report.ok, report


def test_expiry_switched_on_late_still_gives_a_full_month_of_notice():
    anna = resident_with("anna@example.org", 700)
    expiry_on(6)
    now = timezone.now() + timedelta(days=900)  # long dormant already
    assert expiry.wallet_expiries_notify(now=now) == 1
    assert expiry.wallets_expire(now=now + 27 * DAY) == 0
    assert balance(anna.resident.wallet_id) == 700
    assert expiry.wallets_expire(now=now + 31 * DAY) == 1
    assert balance(anna.resident.wallet_id) == 0


def test_any_movement_after_the_notice_keeps_the_tokens_and_so_does_switching_expiry_off():
    anna = resident_with("anna@example.org", 500)
    ben = resident_with("ben@example.org", 300)
    expiry_on(12)
    notice_day = timezone.now() + timedelta(days=345)
    assert expiry.wallet_expiries_notify(now=notice_day) == 2
    mint(anna.resident.wallet_id, 100)  # a reward lands after the notice
    ledger_services.currency_expiry_set(currency_id=project_currency().pk, months=None)
    assert expiry.wallets_expire(now=notice_day + 60 * DAY) == 0
    expiry_on(12)
    assert expiry.wallets_expire(now=notice_day + 60 * DAY) == 1  # only Ben's
    assert balance(anna.resident.wallet_id) == 600
    assert balance(ben.resident.wallet_id) == 0


def test_staff_switch_expiry_on_and_off_by_command_and_the_audit_log_says_who():
    finance = make_user("fenna@example.org", "finance")
    code = project_currency().code
    out = StringIO()
    call_command("currency_expiry", code, "--months", "18", "--by", finance.email, stdout=out)
    assert out.getvalue().strip() == f"{code}: expiry 18 months"
    assert project_currency().expiry_months == 18
    call_command("currency_expiry", code, "--off", stdout=out)
    assert project_currency().expiry_months is None
    events = AuditEvent.objects.filter(action="currency.expiry").order_by("pk")
    assert [(e.actor_label, e.detail["from"], e.detail["to"]) for e in events] == [
        ("fenna@example.org", None, 18),
        ("system", 18, None),
    ]
    with pytest.raises(CommandError, match="1 to 120"):
        call_command("currency_expiry", code, "--months", "0")
    assert project_currency().expiry_months is None


def test_expiry_months_is_off_or_1_to_120():
    currency = project_currency()
    for wrong in (0, -1, 121, True, 1.5):
        with pytest.raises(InvalidTransfer):
            ledger_services.currency_expiry_set(currency_id=currency.pk, months=wrong)
    assert ledger_services.currency_expiry_set(currency_id=currency.pk, months=120)
    with pytest.raises(IntegrityError), transaction.atomic():
        Currency.objects.filter(pk=currency.pk).update(expiry_months=0)


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("nl", "Verlopen: 12,50 Heitje terug naar de gemeente"),
        ("de", "Verfallen: 12,50 Heitje an die Gemeinde zurückgegeben"),
        ("en", "Expired: 12.50 Heitje returned to the municipality"),
    ],
)
def test_the_wallet_history_shows_the_expiry_in_the_residents_language(language, line):
    anna = resident_with("anna@example.org", 1250, language=language)
    expiry_on(12)
    now = timezone.now() + timedelta(days=400)
    expiry.wallet_expiries_notify(now=now)
    assert expiry.wallets_expire(now=now + 40 * DAY) == 1
    client = Client()
    client.force_login(anna)
    page = client.get("/wallet/")
    assert page.status_code == 200
    assert line in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_notify_once_and_expire_once_per_wallet():
    residents = [resident_with(f"r{i}@example.org", 100 * (i + 1)) for i in range(3)]
    expiry_on(12)
    supply_before = supply()
    notice_day = timezone.now() + timedelta(days=345)

    outcomes = run_together(4, lambda _i: expiry.wallet_expiries_notify(now=notice_day))
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 3
    assert WalletExpiry.objects.count() == 3
    assert Notification.objects.filter(kind="wallet.expiry").count() == 3

    later = notice_day + 40 * DAY
    outcomes = run_together(4, lambda _i: expiry.wallets_expire(now=later))
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == 3
    assert len(expiry_transfers()) == 3
    assert [balance(r.resident.wallet_id) for r in residents] == [0, 0, 0]
    assert supply() == supply_before - 600
    report = ledger_verify()
    assert report.ok, report
