"""Fixtures of the campaign, task and claim tests (rewards-core): staff, residents with
wallets, a funded campaign and a published task. Test modules load them with
`pytest_plugins = ["tests.rewards.core_fixtures"]`."""

import pytest

from accounts.models import User
from rewards.models import Campaign, Task
from tests.helpers import make_user
from tests.rewards.core_helpers import funded_campaign, published_task, resident


@pytest.fixture
def manager(db) -> User:
    return make_user("manager@example.org", "task_manager")


@pytest.fixture
def finance(db) -> User:
    return make_user("finance@example.org", "finance")


@pytest.fixture
def approver(db) -> User:
    return make_user("approver@example.org", "approver")


@pytest.fixture
def campaign(manager, finance, approver) -> Campaign:
    return funded_campaign(manager, finance, approver)


@pytest.fixture
def anna(db) -> User:
    return resident("anna@example.org")


@pytest.fixture
def bram(db) -> User:
    return resident("bram@example.org")


@pytest.fixture
def task(manager, campaign) -> Task:
    return published_task(manager, campaign)


@pytest.fixture
def evidence_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence")},
        },
    }
    return tmp_path / "evidence"
