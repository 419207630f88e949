import base64

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from demo.history import PER_NEIGHBOURHOOD
from demo.seed import DEMO_TOTP_SECRET
from impact import figures
from ledger import selectors
from ledger.models import Account, Block, Currency, Transfer
from ledger.verify import ledger_verify
from rewards.models import Campaign, Claim, Task
from shops.models import Shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_evidence(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }


def test_seed_demo_builds_a_whole_town_and_is_idempotent(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "admin@heitje.example" in out
    assert "anna@heitje.example  /  heitje-demo-resident" in out
    currency = Currency.objects.get(code="HEITJE")
    transfers = Transfer.objects.count()
    balances = dict(Account.objects.values_list("id", "balance"))
    assert transfers >= 300
    assert selectors.currency_supply(currency=currency) == 1_000_000
    # eight demo residents, and ten in each of four neighbourhoods for the year of history
    assert Account.objects.filter(kind="wallet").count() == 8 + 4 * PER_NEIGHBOURHOOD
    assert Account.objects.filter(kind="shop", balance__gt=0).exists()
    assert User.objects.get(email="admin@heitje.example").check_password("heitje-demo-admin")
    anna = User.objects.get(email="anna@heitje.example")
    assert anna.check_password("heitje-demo-resident")
    assert anna.resident.wallet.balance > 0

    call_command("seed_demo")
    assert Transfer.objects.count() == transfers
    assert dict(Account.objects.values_list("id", "balance")) == balances
    assert Claim.objects.exclude(task__status="closed").count() == 2
    history = Claim.objects.filter(task__status="closed")
    assert history.count() > 300
    assert not history.exclude(status="paid").exists()
    # the admin, four other staff, eight residents, two shop owners and a cashier, once each,
    # and the history's residents
    assert User.objects.count() == 16 + 4 * PER_NEIGHBOURHOOD
    for role in ("admin", "task_manager", "reviewer", "approver", "finance"):
        staff = User.objects.get(role_grants__role=role)
        assert staff.check_password("heitje-demo-admin" if role == "admin" else "heitje-demo-staff")
        device = TOTPDevice.objects.get(user=staff)
        assert device.verify_token(totp(device.bin_key))  # the printed secret works
    assert base64.b32decode(DEMO_TOTP_SECRET) == TOTPDevice.objects.first().bin_key
    assert DEMO_TOTP_SECRET in out
    bakery = Shop.objects.get(name="Bakkerij Bemelmans")
    assert bakery.status == "approved"
    assert bakery.account.kind == "shop"
    assert set(bakery.members.values_list("user__email", "role")) == {
        ("bakker@heitje.example", "owner"),
        ("kassa@heitje.example", "cashier"),
    }
    assert User.objects.filter(email_verified_at__isnull=True).count() == 0
    campaign = Campaign.objects.get()
    mint = campaign.mint_requests.get()
    assert mint.requested_by != mint.decided_by
    assert mint.transfer.kind == "mint"
    assert Task.objects.filter(status="published").count() == 4
    open_claims = Claim.objects.exclude(task__status="closed")
    assert set(open_claims.values_list("resident__email", "status")) == {
        ("anna@heitje.example", "submitted"),
        ("chantal@heitje.example", "reserved"),
    }
    assert Claim.objects.get(status="submitted").evidence.count() == 1
    report = ledger_verify()
    assert report.ok, report.problems
    assert Block.objects.exists()
    # The impact page has a year to show: work and spending in every month, the town's and
    # each of the four neighbourhoods' figures published (no small-number withholding).
    months = figures.months_back()
    work, spending = figures.work_published(months), figures.spending_published(months)
    for month in months:
        assert work[month][figures.TOWN].tasks > 0
        assert spending[month][figures.TOWN].spent > 0
        areas = [key for key in work[month] if key[0] == "area"]
        assert len(areas) == 4
        assert not any(work[month][key].withheld for key in areas), month


def test_seed_demo_refuses_where_demo_data_is_off(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(Exception, match="disabled"):
        call_command("seed_demo")
    assert not Currency.objects.exists()


def test_landing_page_shows_supply_and_the_signed_head(client):
    call_command("seed_demo")
    page = client.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "1000000" in body
    assert Block.objects.order_by("-height").first().hash in body


def test_demo_totp_prints_a_code_the_demo_devices_accept(capsys):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("demo_totp")
    code = capsys.readouterr().out.split()[0]
    device = TOTPDevice.objects.get(user__email="reviewer@heitje.example")
    assert device.verify_token(code)
