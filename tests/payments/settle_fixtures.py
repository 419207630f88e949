"""Fixtures of the voucher and settlement tests (pay-settle): staff, a funded campaign, an
approved shop with its owner and a cashier. Test modules load them with
`pytest_plugins = ["tests.payments.settle_fixtures"]`."""

import pytest

from accounts.models import Role, User
from rewards.models import Campaign
from shops.models import Shop, ShopMember, ShopRole
from tests.helpers import make_user
from tests.payments.settle_helpers import approved_shop
from tests.rewards.core_helpers import funded_campaign


@pytest.fixture
def manager(db) -> User:
    return make_user("manager@example.org", Role.TASK_MANAGER)


@pytest.fixture
def finance(db) -> User:
    return make_user("finance@example.org", Role.FINANCE)


@pytest.fixture
def approver(db) -> User:
    return make_user("approver@example.org", Role.APPROVER)


@pytest.fixture
def campaign(manager, finance, approver) -> Campaign:
    return funded_campaign(manager, finance, approver, amount=100_000)


@pytest.fixture
def owner(db) -> User:
    return make_user("owner@example.org", Role.RESIDENT)


@pytest.fixture
def shop(owner, approver) -> Shop:
    return approved_shop(owner, approver)


@pytest.fixture
def cashier(shop) -> User:
    user = make_user("cashier@example.org", Role.RESIDENT)
    ShopMember.objects.create(shop=shop, user=user, role=ShopRole.CASHIER)
    return user


@pytest.fixture
def other_shop(approver) -> Shop:
    other_owner = make_user("other-owner@example.org", Role.RESIDENT)
    return approved_shop(other_owner, approver, name="Slagerij Hoensbroek")
