"""The ledger under real concurrency: threads with their own PostgreSQL connections, released
together by a barrier, against committed data.

Each test ends with `ledger_verify` and the per-currency zero sum. Where locks could cross, the
test also asserts that the posting service never needed its deadlock retry: locking in id order
should make deadlocks impossible, not merely survivable."""

import logging
import random
from collections import Counter
from typing import Any

import pytest

from ledger import selectors, services
from ledger.errors import AlreadyReversed, IdempotencyConflict, InsufficientFunds
from ledger.models import Entry, Transfer, TransferKind
from ledger.services import Leg, TransferRequest, legs_between
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_retries(caplog):
    """Fails the test if the posting service had to retry after a deadlock or serialization
    failure."""
    caplog.set_level(logging.WARNING, logger="ledger.posting")
    yield
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries == []


def pay(source_id: int, destination_id: int, amount: int, **kwargs: Any) -> Transfer:
    return services.transfer_post(
        kind=TransferKind.PAYMENT,
        legs=legs_between(source_id=source_id, destination_id=destination_id, amount=amount),
        **kwargs,
    )


def test_concurrent_spending_never_overdraws(open_account, assert_ledger_whole, no_retries):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")

    outcomes = run_together(16, lambda _: pay(wallet.id, shop.id, 300))

    paid = [o for o in outcomes if isinstance(o, Transfer)]
    refused = [o for o in outcomes if isinstance(o, InsufficientFunds)]
    assert (len(paid), len(refused)) == (3, 13), outcomes
    # Every refusal tells the truth about the wallet as the caller's request found it.
    assert {(e.account_id, e.balance, e.amount) for e in refused} == {(wallet.id, 100, 300)}
    assert len({t.id for t in paid}) == 3
    assert selectors.account_balance(account_id=wallet.id) == 100
    assert selectors.account_balance(account_id=shop.id) == 900
    assert list(
        Entry.objects.filter(account=wallet)
        .order_by("account_version")
        .values_list("account_version", "balance_after")
    ) == [(1, 1_000), (2, 700), (3, 400), (4, 100)]
    assert_ledger_whole()


def test_concurrent_retries_of_one_request_post_once(open_account, assert_ledger_whole):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")

    outcomes = run_together(
        16,
        lambda _: pay(
            wallet.id, shop.id, 250, idempotency_scope="till-7", idempotency_key="sale-42"
        ),
    )

    assert all(isinstance(o, Transfer) for o in outcomes), outcomes
    assert len({o.id for o in outcomes}) == 1
    assert Transfer.objects.filter(idempotency_key="sale-42").count() == 1
    assert selectors.account_balance(account_id=wallet.id) == 750
    assert selectors.account_balance(account_id=shop.id) == 250
    assert_ledger_whole()


def test_concurrent_retries_of_a_payment_that_empties_the_wallet_all_see_it_posted(
    open_account, assert_ledger_whole
):
    """A double-tapped payment (or a redelivered payout task) that the wallet can afford only
    once: every retry must get the one transfer, none may be told the money is not there."""
    wallet = open_account("wallet", funded=300)
    shop = open_account("shop")

    outcomes = run_together(
        16,
        lambda _: pay(
            wallet.id, shop.id, 250, idempotency_scope="till-7", idempotency_key="sale-43"
        ),
    )

    assert Transfer.objects.filter(idempotency_key="sale-43").count() == 1
    assert selectors.account_balance(account_id=wallet.id) == 50
    assert_ledger_whole()
    refused = [o for o in outcomes if not isinstance(o, Transfer)]
    assert refused == [], f"{len(refused)} of 16 retries were refused: {refused[:1]}"


def test_concurrent_different_requests_with_one_key_post_one_of_them(
    open_account, assert_ledger_whole
):
    wallet = open_account("wallet", funded=1_000)
    other_wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    # Half the callers send one request, half another, all with the same key; the second
    # request also touches an account the first does not lock.
    requests = [(wallet.id, 100), (other_wallet.id, 200)]

    outcomes = run_together(
        16,
        lambda i: pay(
            requests[i % 2][0], shop.id, requests[i % 2][1], idempotency_key="payout:claim-9"
        ),
    )

    winner = Transfer.objects.get(idempotency_key="payout:claim-9")
    won = 0 if winner.entries.filter(account_id=wallet.id).exists() else 1
    for i, outcome in enumerate(outcomes):
        if i % 2 == won:
            assert isinstance(outcome, Transfer), outcome
            assert outcome.id == winner.id
        else:
            assert isinstance(outcome, IdempotencyConflict), outcome
            assert outcome.transfer_id == winner.id
    source, amount = requests[won]
    assert selectors.account_balance(account_id=source) == 1_000 - amount
    assert selectors.account_balance(account_id=shop.id) == amount
    assert Transfer.objects.count() == 3  # two mints and the winner
    assert_ledger_whole()


def test_crossing_transfers_neither_deadlock_nor_lose_money(
    open_account, assert_ledger_whole, no_retries
):
    a = open_account("wallet", funded=10_000)
    b = open_account("wallet", funded=10_000)
    c = open_account("shop", funded=10_000)
    rounds = 20

    def work(i: int) -> int:
        moved = 0
        for n in range(rounds):
            if i % 3 == 0:
                pay(a.id, b.id, 7)
            elif i % 3 == 1:
                pay(b.id, a.id, 11)
            else:  # a three-legged transfer touching all three, in a different leg order
                services.transfer_post(
                    kind=TransferKind.PAYMENT,
                    legs=[Leg(c.id, 3 + n % 2), Leg(b.id, -2), Leg(a.id, -(1 + n % 2))],
                )
            moved += 1
        return moved

    outcomes = run_together(6, work)

    assert outcomes == [rounds] * 6, outcomes
    # Two workers each for a->b (7), b->a (11), and (a, b) -> c (3 or 4).
    to_c_from_a = 2 * sum(1 + n % 2 for n in range(rounds))
    assert (
        selectors.account_balance(account_id=a.id) == 10_000 + 2 * rounds * (11 - 7) - to_c_from_a
    )
    assert selectors.account_balance(account_id=b.id) == 10_000 + 2 * rounds * (7 - 11 - 2)
    assert selectors.account_balance(account_id=c.id) == 10_000 + to_c_from_a + 2 * rounds * 2
    assert Transfer.objects.count() == 3 + 6 * rounds
    assert_ledger_whole()


def test_batches_and_single_posts_on_shared_accounts_stay_consistent(
    open_account, assert_ledger_whole, no_retries
):
    budget = open_account("budget", funded=100_000)
    wallets = [open_account("wallet", funded=500) for _ in range(4)]
    shop = open_account("shop")
    ids = [budget.id, shop.id, *(w.id for w in wallets)]
    rounds = 8

    def work(i: int) -> list[tuple[list[TransferRequest], Any]]:
        """Each round: (the requests sent, the transfers posted or the refusal)."""
        rng = random.Random(i)
        rounds_done: list[tuple[list[TransferRequest], object]] = []
        for _ in range(rounds):
            w, other = rng.choice(wallets).id, rng.choice(wallets).id
            if i % 2 == 0:  # a payout run: pay two wallets, then one of them spends at once
                requests = [
                    TransferRequest(kind="payout", legs=legs_between(
                        source_id=budget.id, destination_id=w, amount=rng.randint(1, 300))),
                    TransferRequest(kind="payout", legs=legs_between(
                        source_id=budget.id, destination_id=other, amount=rng.randint(1, 300))),
                    TransferRequest(kind="payment", legs=legs_between(
                        source_id=w, destination_id=shop.id, amount=rng.randint(1, 600))),
                ]  # fmt: skip
            else:
                requests = [
                    TransferRequest(kind="payment", legs=legs_between(
                        source_id=w, destination_id=shop.id, amount=rng.randint(1, 400))),
                ]  # fmt: skip
            try:
                if len(requests) > 1:
                    posted = services.transfers_post_batch(requests=requests)
                else:
                    posted = [services.transfer_post(kind="payment", legs=requests[0].legs)]
                rounds_done.append((requests, posted))
            except InsufficientFunds as refusal:
                rounds_done.append((requests, refusal))
        return rounds_done

    outcomes = run_together(6, work)

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    done = [r for rounds_done in outcomes for r in rounds_done]
    assert len(done) == 6 * rounds
    posted = [(reqs, result) for reqs, result in done if isinstance(result, list)]
    assert all(len(result) == len(reqs) for reqs, result in posted)
    assert {len(reqs) for reqs, _ in posted} == {1, 3}  # batches and single posts both landed
    # What every caller was told adds up to today's balances: a refused batch left no part behind.
    expected = Counter({budget.id: 100_000, **{w.id: 500 for w in wallets}})
    for reqs, _ in posted:
        for leg in (leg for r in reqs for leg in r.legs):
            expected[leg.account_id] += leg.amount
    for account_id in ids:
        assert selectors.account_balance(account_id=account_id) == expected[account_id]
    assert Transfer.objects.count() == 5 + sum(len(result) for _, result in posted)
    assert_ledger_whole()


def test_concurrent_reversals_reverse_once(open_account, assert_ledger_whole):
    wallet = open_account("wallet", funded=1_000)
    shop = open_account("shop")
    sale = pay(wallet.id, shop.id, 400)

    outcomes = run_together(8, lambda _: services.transfer_reverse(transfer_id=sale.id))

    reversals = [o for o in outcomes if isinstance(o, Transfer)]
    assert len(reversals) == 1, outcomes
    assert reversals[0].reverses_id == sale.id
    assert selectors.account_balance(account_id=wallet.id) == 1_000
    assert selectors.account_balance(account_id=shop.id) == 0
    assert_ledger_whole()
    # Every other caller is told the truth: it was reversed already (not that the shop is short).
    others = [o for o in outcomes if not isinstance(o, Transfer)]
    assert all(isinstance(o, AlreadyReversed) for o in others), others


def test_two_first_callers_at_once_open_one_system_account(currency):
    outcomes = run_together(
        8,
        lambda _: (
            services.system_account_get_or_open(
                currency=currency, kind="settlement", name="Heitje settlement"
            ).pk
        ),
    )
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert list(currency.accounts.filter(kind="settlement").values_list("pk", flat=True)) == [
        outcomes[0]
    ]
