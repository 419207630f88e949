"""A cached balance changes only together with the entries that explain it: the database
refuses, at commit, any balance or version that is not the account's latest entry (migration
`0004_ledger_balance_guard`), so a raw UPDATE of a balance no longer waits for `ledger_verify`
to be noticed. Posting, batches and status changes keep working."""

import pytest
from django.db import IntegrityError, connection, transaction

from ledger import selectors, services
from ledger.models import Account, TransferKind
from ledger.services import Leg, TransferRequest, legs_between

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = "a balance changes only by posting a transfer"


def commit_sql(*statements: tuple[str, list]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


@pytest.fixture
def wallet_and_shop(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=300),
    )
    return wallet, shop


@pytest.mark.parametrize(
    "assignment",
    [
        "balance = balance + 500",  # money from nowhere
        "balance = balance + 500, version = version + 1",  # with a version but no entry
        "version = version + 1",
        "balance = 1000, version = 1",  # rewound to an earlier, real entry
    ],
)
def test_a_raw_update_of_a_balance_is_refused(wallet_and_shop, assert_ledger_whole, assignment):
    wallet, _ = wallet_and_shop
    with pytest.raises(IntegrityError, match=REFUSAL):
        commit_sql((f"UPDATE ledger_account SET {assignment} WHERE id = %s", [wallet.id]))
    assert selectors.account_balance(account_id=wallet.id) == 700
    assert Account.objects.get(pk=wallet.id).version == 2
    assert_ledger_whole()


def test_an_account_cannot_be_opened_holding_money(currency):
    with pytest.raises(IntegrityError, match=REFUSAL):
        commit_sql(
            (
                "INSERT INTO ledger_account (currency_id, kind, name, balance, version,"
                " allow_negative, status) VALUES (%s, 'wallet', 'forged', 5000, 0, false, 'open')",
                [currency.id],
            )
        )
    assert not Account.objects.filter(name="forged").exists()


def test_posting_batches_and_status_changes_still_work(wallet_and_shop, assert_ledger_whole):
    """Several posts to one account in one transaction, a batch, freeze, rename and close."""
    wallet, shop = wallet_and_shop
    with transaction.atomic():
        for _ in range(3):
            services.transfer_post(
                kind=TransferKind.PAYMENT,
                legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=100),
            )
    services.transfers_post_batch(
        requests=[
            TransferRequest(kind=TransferKind.REFUND, legs=[Leg(shop.id, -50), Leg(wallet.id, 50)])
            for _ in range(4)
        ]
    )
    services.account_freeze(account_id=wallet.id, reason="lost phone")
    services.account_unfreeze(account_id=wallet.id)
    services.account_rename(account_id=shop.id, name="Bakkerij")
    services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=wallet.id, destination_id=shop.id, amount=600),
    )
    services.account_close(account_id=wallet.id, reason="moved away")
    assert selectors.account_balance(account_id=wallet.id) == 0
    assert selectors.account_balance(account_id=shop.id) == 1_000
    assert_ledger_whole()


def test_a_writer_may_update_balances_before_inserting_their_entries(
    wallet_and_shop, assert_ledger_whole
):
    """The check runs at commit: the order of the statements inside the transaction is free."""
    wallet, shop = wallet_and_shop
    commit_sql(
        (
            "UPDATE ledger_account SET balance = balance + d, version = version + 1"
            " FROM (VALUES (%s::bigint, -200), (%s, 200)) AS v(id, d)"
            " WHERE ledger_account.id = v.id",
            [wallet.id, shop.id],
        ),
        (
            "WITH t AS (INSERT INTO ledger_transfer (currency_id, kind, idempotency_scope,"
            " request_hash, metadata) VALUES (%s, 'payment', '', 'raw', '{}') RETURNING id)"
            " INSERT INTO ledger_entry (transfer_id, account_id, amount, balance_after,"
            " account_version) SELECT t.id, v.* FROM t,"
            " (VALUES (%s::bigint, -200::bigint, 500::bigint, 3::bigint), (%s, 200, 500, 2)) AS v",
            [wallet.currency_id, wallet.id, shop.id],
        ),
    )
    assert selectors.account_balance(account_id=wallet.id) == 500
    assert_ledger_whole()
