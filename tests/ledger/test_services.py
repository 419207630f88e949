"""Posting, idempotency, batches, reversals, freezing and the read side, through the services."""

import pytest

from ledger import selectors, services
from ledger.errors import (
    AccountNotOpen,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
    NotReversible,
)
from ledger.models import AccountStatus, Entry, Transfer, TransferKind
from ledger.services import Leg, TransferRequest, legs_between


def pay(source, destination, amount, **kwargs):
    return services.transfer_post(
        kind=kwargs.pop("kind", TransferKind.PAYMENT),
        legs=legs_between(source_id=source.id, destination_id=destination.id, amount=amount),
        **kwargs,
    )


def test_entries_record_versions_and_running_balances(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    pay(wallet, shop, 300)
    pay(wallet, shop, 200)
    history = list(
        Entry.objects.filter(account=wallet)
        .order_by("account_version")
        .values_list("account_version", "amount", "balance_after")
    )
    assert history == [(1, 1_000, 1_000), (2, -300, 700), (3, -200, 500)]
    wallet.refresh_from_db()
    assert (wallet.balance, wallet.version) == (500, 3)


def test_multi_leg_transfer_splits_one_payment(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    fund = open_account("fund")
    transfer = services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=[Leg(wallet.id, -1_000), Leg(shop.id, 900), Leg(fund.id, 100)],
        metadata={"note": "10% to the community fund"},
    )
    assert transfer.entries.count() == 3
    assert selectors.account_balance(account_id=shop.id) == 900
    assert selectors.account_balance(account_id=fund.id) == 100
    assert selectors.account_balance(account_id=wallet.id) == 0


def test_same_key_same_request_returns_first_transfer_and_moves_money_once(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    first = pay(wallet, shop, 250, idempotency_scope="till", idempotency_key="sale-1")
    again = pay(wallet, shop, 250, idempotency_scope="till", idempotency_key="sale-1")
    assert again.id == first.id
    assert selectors.account_balance(account_id=wallet.id) == 750
    assert Transfer.objects.filter(idempotency_key="sale-1").count() == 1


def test_same_key_different_request_is_a_conflict(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    first = pay(wallet, shop, 250, idempotency_scope="till", idempotency_key="sale-1")
    with pytest.raises(IdempotencyConflict) as caught:
        pay(wallet, shop, 260, idempotency_scope="till", idempotency_key="sale-1")
    assert caught.value.transfer_id == first.id
    assert selectors.account_balance(account_id=wallet.id) == 750


def test_keys_are_scoped(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    a = pay(wallet, shop, 100, idempotency_scope="till-1", idempotency_key="7")
    b = pay(wallet, shop, 100, idempotency_scope="till-2", idempotency_key="7")
    assert a.id != b.id
    assert selectors.account_balance(account_id=shop.id) == 200


def test_batch_applies_in_order_and_is_all_or_nothing(open_account):
    budget = open_account("budget", funded=1_000)
    wallets = [open_account("wallet") for _ in range(3)]
    requests = [
        TransferRequest(
            kind=TransferKind.PAYOUT,
            legs=legs_between(source_id=budget.id, destination_id=w.id, amount=400),
        )
        for w in wallets
    ]
    with pytest.raises(InsufficientFunds):
        services.transfers_post_batch(requests=requests)  # the third would overdraw the budget
    assert selectors.account_balance(account_id=budget.id) == 1_000
    assert all(selectors.account_balance(account_id=w.id) == 0 for w in wallets)

    posted = services.transfers_post_batch(requests=requests[:2])
    assert [t.kind for t in posted] == ["payout", "payout"]
    assert selectors.account_balance(account_id=budget.id) == 200
    assert Entry.objects.get(transfer=posted[1], account=budget).balance_after == 200


def test_batch_retry_returns_the_same_transfers(open_account):
    budget = open_account("budget", funded=1_000)
    wallet = open_account("wallet")
    requests = [
        TransferRequest(
            kind=TransferKind.PAYOUT,
            legs=legs_between(source_id=budget.id, destination_id=wallet.id, amount=100),
            idempotency_scope="payout",
            idempotency_key=f"claim-{n}",
        )
        for n in range(3)
    ]
    first = services.transfers_post_batch(requests=requests[:2])
    second = services.transfers_post_batch(requests=requests)
    assert [t.id for t in second[:2]] == [t.id for t in first]
    assert selectors.account_balance(account_id=wallet.id) == 300


def test_reversal_restores_balances_once(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    payment = pay(wallet, shop, 400)
    reversal = services.transfer_reverse(transfer_id=payment.id, reason="double charge")
    assert reversal.reverses_id == payment.id
    assert reversal.kind == TransferKind.REVERSAL
    assert selectors.account_balance(account_id=wallet.id) == 1_000
    assert selectors.account_balance(account_id=shop.id) == 0
    with pytest.raises(AlreadyReversed):
        services.transfer_reverse(transfer_id=payment.id)
    with pytest.raises(NotReversible):
        services.transfer_reverse(transfer_id=reversal.id)
    assert selectors.account_balance(account_id=wallet.id) == 1_000


def test_reversal_cannot_overdraw_what_was_spent(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    payment = pay(wallet, shop, 400)
    pay(shop, open_account("settlement"), 400, kind=TransferKind.SETTLEMENT)
    with pytest.raises(InsufficientFunds):
        services.transfer_reverse(transfer_id=payment.id)
    assert not Transfer.objects.filter(reverses=payment).exists()


def test_frozen_account_neither_pays_nor_receives_until_unfrozen(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop", funded=10)
    services.account_freeze(account_id=wallet.id, reason="reported stolen phone")
    with pytest.raises(AccountNotOpen):
        pay(wallet, shop, 100)
    with pytest.raises(AccountNotOpen):
        pay(shop, wallet, 1)
    services.account_unfreeze(account_id=wallet.id)
    pay(wallet, shop, 100)
    assert selectors.account_balance(account_id=shop.id) == 110
    assert [c.status for c in wallet.status_changes.order_by("id")] == [
        AccountStatus.FROZEN,
        AccountStatus.OPEN,
    ]


def test_issuer_cannot_be_frozen(issuer):
    with pytest.raises(AccountNotOpen):
        services.account_freeze(account_id=issuer.id)


def test_balance_as_of_a_past_transfer(open_account):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    other = open_account("wallet", funded=50)
    t1 = pay(wallet, shop, 100)
    t2 = pay(other, shop, 50)  # does not touch the wallet
    t3 = pay(wallet, shop, 200)
    assert selectors.account_balance_at(account_id=wallet.id, transfer_id=t1.id) == 900
    assert selectors.account_balance_at(account_id=wallet.id, transfer_id=t2.id) == 900
    assert selectors.account_balance_at(account_id=wallet.id, transfer_id=t3.id) == 700
    assert selectors.account_balance_at(account_id=shop.id, transfer_id=t1.id - 1) == 0


def test_statement_pages_newest_first_without_gaps_or_repeats(open_account):
    wallet = open_account("wallet", funded=10_000)
    shop = open_account("shop")
    for amount in range(1, 13):
        pay(wallet, shop, amount)
    seen = []
    before = None
    while True:
        page = selectors.account_statement(account_id=wallet.id, before_version=before, limit=5)
        seen.extend(line.version for line in page.lines)
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == list(range(13, 0, -1))
    newest = selectors.account_statement(account_id=wallet.id, limit=1).lines[0]
    assert (newest.amount, newest.balance_after, newest.kind) == (-12, 10_000 - 78, "payment")


def test_supply_is_what_the_issuer_put_out(open_account, currency, issuer):
    budget = open_account("budget", funded=5_000)
    assert selectors.currency_supply(currency=currency) == 5_000
    services.transfer_post(
        kind=TransferKind.BURN,
        legs=legs_between(source_id=budget.id, destination_id=issuer.id, amount=2_000),
    )
    assert selectors.currency_supply(currency=currency) == 3_000


def test_closing_needs_an_empty_account(open_account):
    wallet = open_account("wallet", funded=10)
    with pytest.raises(Exception, match="empty it first"):
        services.account_close(account_id=wallet.id)
    empty = open_account("wallet")
    services.account_close(account_id=empty.id)
    with pytest.raises(AccountNotOpen):
        pay(wallet, empty, 1)


@pytest.mark.parametrize(
    ("kind", "name"), [("settlement", "Heitje settlement"), ("fund", "Heitje community fund")]
)
def test_a_system_account_is_found_not_duplicated(currency, kind, name):
    first = services.system_account_get_or_open(currency=currency, kind=kind, name=name)
    again = services.system_account_get_or_open(currency=currency, kind=kind, name="other")
    assert again == first
    assert (first.kind, first.name, first.balance) == (kind, name, 0)
    assert currency.accounts.filter(kind=kind).count() == 1


def test_a_wallet_is_not_a_system_account(currency):
    with pytest.raises(InvalidTransfer, match="not a system account"):
        services.system_account_get_or_open(currency=currency, kind="wallet", name="x")
    assert not currency.accounts.filter(kind="wallet").exists()
