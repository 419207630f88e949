"""Random histories of posts, batches, keyed retries, reversals, freezes and seals, checked step
by step against a model of the ledger kept in Python.

Each example starts from an empty ledger with a fresh currency and its own block chain. After
every step: each balance and version equals the model's, no account but the issuer is below zero,
the currency's balances sum to zero, and `ledger_verify` finds nothing wrong, sealed blocks
included."""

import itertools
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger import selectors, services
from ledger.errors import (
    AccountNotOpen,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
    LedgerError,
    NotReversible,
)
from ledger.models import Account, AccountStatus, Transfer, TransferKind
from ledger.sealing import ledger_seal
from ledger.services import Leg, TransferRequest
from ledger.verify import ledger_verify

ISSUER = 0
ACCOUNT_KINDS = ["budget", "wallet", "wallet", "shop"]  # indexes 1..4; 0 is the issuer
_codes = itertools.count(1)

holders = st.integers(1, len(ACCOUNT_KINDS))
anyone = st.integers(0, len(ACCOUNT_KINDS))
amounts = st.integers(1, 1_500)
two_holders = st.tuples(holders, holders).filter(lambda pair: pair[0] != pair[1])


@dataclass
class Posted:
    kind: str
    legs: tuple[tuple[int, int], ...]  # (account index, amount), as posted
    reversed: bool = False


@dataclass
class Model:
    balance: list[int]
    version: list[int]
    frozen: set[int] = field(default_factory=set)

    def refusals(self, legs: list[tuple[int, int]]) -> set[type[LedgerError]]:
        """Every error the ledger may rightly give for these legs now; empty if it must post."""
        if len({a for a, _ in legs}) < len(legs):
            return {InvalidTransfer}
        errors: set[type[LedgerError]] = set()
        for account, amount in legs:
            if account in self.frozen:
                errors.add(AccountNotOpen)
            if account != ISSUER and self.balance[account] + amount < 0:
                errors.add(InsufficientFunds)
        return errors

    def apply(self, legs: list[tuple[int, int]]) -> None:
        for account, amount in legs:
            self.balance[account] += amount
            self.version[account] += 1

    def copy(self) -> "Model":
        return Model(list(self.balance), list(self.version), set(self.frozen))


def attempt(call):
    """(result, None) or (None, the ledger's refusal)."""
    try:
        return call(), None
    except LedgerError as refusal:
        return None, refusal


def refused_as_expected(refusal: LedgerError | None, expected: set[type[LedgerError]]) -> bool:
    """Whether the call was refused; fails unless that is what the model says should happen."""
    if refusal is None:
        assert not expected, f"it went through, but the model expected {expected}"
        event("went through")
        return False
    event(f"refused: {type(refusal).__name__}")
    assert type(refusal) in expected, f"{refusal!r}, but the model expected {expected or 'success'}"
    return True


class LedgerMachine(RuleBasedStateMachine):
    transfers = Bundle("transfers")

    def __init__(self) -> None:
        super().__init__()
        code = f"PROP{next(_codes)}"
        self.currency = services.currency_get_or_create(code=code, name=f"Property {code}")
        issuer = selectors.issuer_account(currency=self.currency)
        opened = [services.account_open(currency=self.currency, kind=k) for k in ACCOUNT_KINDS]
        self.ids = [issuer.id, *(a.id for a in opened)]
        self.model = Model([0] * len(self.ids), [0] * len(self.ids))
        self.posted: dict[int, Posted] = {}
        self.keys: dict[str, tuple[int, tuple]] = {}  # key -> (transfer id, request)

    def legs(self, legs: list[tuple[int, int]]) -> list[Leg]:
        return [Leg(self.ids[a], amount) for a, amount in legs]

    def post(self, kind: str, legs: list[tuple[int, int]], key: str | None = None):
        """Post through the service and check the outcome against the model."""
        scoped = None if key is None else f"{self.currency.code}:{key}"
        request = (kind, tuple(sorted(legs)))
        expected = self.model.refusals(legs)
        if InvalidTransfer not in expected and key in self.keys:
            first_id, first_request = self.keys[key]
            if first_request == request:
                transfer = services.transfer_post(
                    kind=kind, legs=self.legs(legs), idempotency_key=scoped
                )
                assert transfer.id == first_id  # the first result, nothing moves again
                event("retry answered with the first transfer")
                return multiple()
            expected = {IdempotencyConflict}
        transfer, refusal = attempt(
            lambda: services.transfer_post(kind=kind, legs=self.legs(legs), idempotency_key=scoped)
        )
        if refused_as_expected(refusal, expected):
            return multiple()
        self.model.apply(legs)
        self.posted[transfer.id] = Posted(kind, tuple(legs))
        if key is not None:
            self.keys[key] = (transfer.id, request)
        return transfer.id

    @initialize(target=transfers, opening=st.lists(amounts, min_size=4, max_size=4))
    def fund(self, opening):
        return multiple(*(self.mint(to, amount) for to, amount in enumerate(opening, start=1)))

    @rule(target=transfers, to=holders, amount=amounts)
    def mint(self, to, amount):
        return self.post(TransferKind.MINT, [(ISSUER, -amount), (to, amount)])

    @rule(target=transfers, source=anyone, to=anyone, amount=amounts)
    def pay(self, source, to, amount):
        return self.post(TransferKind.PAYMENT, [(source, -amount), (to, amount)])

    @rule(
        target=transfers,
        payers=st.lists(holders, min_size=1, max_size=3, unique=True),
        data=st.data(),
    )
    def split(self, payers, data):
        """Several payers, one payee (or one payer several payees, by sign)."""
        to = data.draw(holders.filter(lambda h: h not in payers))
        parts = [data.draw(amounts) for _ in payers]
        sign = data.draw(st.sampled_from([1, -1]))
        legs = [(p, -sign * a) for p, a in zip(payers, parts, strict=True)]
        return self.post(TransferKind.PAYMENT, [*legs, (to, sign * sum(parts))])

    @rule(
        target=transfers,
        key=st.sampled_from(["k1", "k2", "k3"]),
        pair=two_holders,
        amount=st.integers(1, 300),
    )
    def keyed_pay(self, key, pair, amount):
        source, to = pair
        return self.post(TransferKind.PAYMENT, [(source, -amount), (to, amount)], key=key)

    @precondition(lambda self: self.keys)
    @rule(target=transfers, data=st.data())
    def keyed_retry(self, data):
        key = data.draw(st.sampled_from(sorted(self.keys)))
        kind, legs = self.keys[key][1]
        return self.post(kind, list(legs), key=key)

    @rule(
        target=transfers,
        requests=st.lists(
            two_holders.flatmap(lambda pair: st.tuples(st.just(pair), amounts)),
            min_size=1,
            max_size=4,
        ).map(lambda rs: [(s, t, a) for (s, t), a in rs]),
    )
    def batch(self, requests):
        """All or nothing: the first request the model refuses must sink the whole batch."""
        trial = self.model.copy()
        expected: set[type[LedgerError]] = set()
        for source, to, amount in requests:
            legs = [(source, -amount), (to, amount)]
            expected = trial.refusals(legs)
            if expected:
                break
            trial.apply(legs)
        posted, refusal = attempt(
            lambda: services.transfers_post_batch(
                requests=[
                    TransferRequest(kind=TransferKind.PAYOUT, legs=self.legs([(s, -a), (t, a)]))
                    for s, t, a in requests
                ]
            )
        )
        if refused_as_expected(refusal, expected):
            return multiple()
        assert len(posted) == len(requests)
        self.model = trial
        for transfer, (source, to, amount) in zip(posted, requests, strict=True):
            self.posted[transfer.id] = Posted(
                TransferKind.PAYOUT, ((source, -amount), (to, amount))
            )
        return multiple(*(t.id for t in posted))

    @rule(target=transfers, transfer_id=transfers)
    def reverse(self, transfer_id):
        original = self.posted[transfer_id]
        legs = [(a, -amount) for a, amount in original.legs]
        if original.kind == TransferKind.REVERSAL:
            expected = {NotReversible}
        elif original.reversed:
            expected = {AlreadyReversed}
        else:
            expected = self.model.refusals(legs)
        reversal, refusal = attempt(
            lambda: services.transfer_reverse(transfer_id=transfer_id, reason="property")
        )
        if refused_as_expected(refusal, expected):
            return multiple()
        assert reversal.reverses_id == transfer_id
        self.model.apply(legs)
        original.reversed = True
        self.posted[reversal.id] = Posted(TransferKind.REVERSAL, tuple(legs))
        return reversal.id

    @rule(account=anyone)
    def freeze(self, account):
        if account == ISSUER:
            with pytest.raises(AccountNotOpen):
                services.account_freeze(account_id=self.ids[account])
            return
        services.account_freeze(account_id=self.ids[account], reason="property")
        self.model.frozen.add(account)

    @rule(account=holders)
    def unfreeze(self, account):
        services.account_unfreeze(account_id=self.ids[account])
        self.model.frozen.discard(account)

    @rule()
    def seal(self):
        block = ledger_seal()
        event("sealed a block" if block else "nothing to seal")
        if block is not None:
            assert block.transfer_count > 0
            assert block.last_transfer_id <= Transfer.objects.order_by("-id").first().id

    def teardown(self) -> None:
        """Empty the ledger for the next example, as Django's flush between tests does: the
        append-only triggers are bypassed here, in the test, and nowhere else."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "TRUNCATE ledger_entry, ledger_transfer, ledger_block, ledger_accountstatuschange,"
                " ledger_account, ledger_currency CASCADE"
            )

    @invariant()
    def ledger_matches_model(self):
        balances = [selectors.account_balance(account_id=i) for i in self.ids]
        assert balances == self.model.balance
        assert all(b >= 0 for b in balances[1:])  # only the issuer goes below zero
        assert sum(balances) == 0
        rows = dict(Account.objects.filter(currency=self.currency).values_list("id", "version"))
        assert [rows[i] for i in self.ids] == self.model.version
        frozen = Account.objects.filter(currency=self.currency, status=AccountStatus.FROZEN)
        assert {self.ids.index(i) for i in frozen.values_list("id", flat=True)} == self.model.frozen

    @invariant()
    def ledger_verifies(self):
        report = ledger_verify()
        assert report.ok, report.problems


@pytest.mark.django_db(transaction=True)
def test_random_histories_keep_every_invariant():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
