import pytest
from django.core.cache import cache

from ledger import selectors, services
from ledger.models import Account, Currency
from tests import factories, helpers


@pytest.fixture
def currency(db) -> Currency:
    return factories.currency()


@pytest.fixture
def issuer(currency) -> Account:
    return selectors.issuer_account(currency=currency)


@pytest.fixture
def open_account(currency):
    """Open an account, optionally funded from the issuer by a mint."""

    def _open(kind: str = "wallet", funded: int = 0, name: str = "") -> Account:
        account = services.account_open(currency=currency, kind=kind, name=name)
        if funded:
            factories.mint(account.id, funded)
            account.refresh_from_db()
        return account

    return _open


@pytest.fixture
def make_user(db):
    """A person with the given roles (and a verified email), signing in with helpers.PASSWORD."""
    return helpers.make_user


@pytest.fixture
def staff_login(db):
    """Sign a staff member in on a test client with a session that passed TOTP."""
    return helpers.staff_login


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache (API throttles, guess limits, the sign-in slowdown) outlives a test's
    transaction: every test starts with an empty one."""
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_as_configured():
    """Every test starts with Celery as the test settings have it: this project's app current
    and tasks run inline. A test that queued tasks on a private broker (tests/fault) changes
    both while it runs; whatever it left must not send a later test's mail to a dead broker."""
    from django.conf import settings

    from config.celery import app

    app.set_current()
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
