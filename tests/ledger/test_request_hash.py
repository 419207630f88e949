"""A request's hash is what tells a retry from a different request under the same idempotency
key, and sealed blocks include it: it must stay byte for byte what it has always been, the
SHA-256 of one `json.dumps` of {kind, legs, metadata, reverses} with sorted keys and no spaces,
the metadata read back from its own JSON first. `_prepare` writes it piece by piece (a batch of
10,000 spends a fifth of its time there); these examples hold it to the original."""

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidTransfer
from ledger.models import TransferKind
from ledger.services import Leg, TransferRequest, _prepare


def _as_always(request: TransferRequest) -> tuple[str, str]:
    metadata_json = json.dumps(
        dict(request.metadata), sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    canonical = json.dumps(
        {
            "kind": request.kind,
            "legs": sorted([leg.account_id, leg.amount] for leg in request.legs),
            "metadata": json.loads(metadata_json),
            "reverses": request.reverses_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return metadata_json, hashlib.sha256(canonical.encode()).hexdigest()


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text().filter(lambda text: "\x00" not in text)
    | st.sampled_from(list(TransferKind))
)
# Number keys become strings, which sort differently ({9: .., 10: ..} against {"10", "9"}).
_keys = st.text(max_size=4).filter(lambda text: "\x00" not in text) | st.integers(-20, 20)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    metadata=st.dictionaries(_keys, _values, max_size=5),
    kind=st.sampled_from([*TransferKind, *TransferKind.values]),
    reverses_id=st.none() | st.integers(1, 2**62),
    amount=st.integers(1, 10**15),
    accounts=st.lists(st.integers(1, 2**62), min_size=2, max_size=2, unique=True),
)
def test_the_request_hash_is_the_one_stored_hashes_were_made_with(
    metadata, kind, reverses_id, amount, accounts
):
    request = TransferRequest(
        kind=kind,
        legs=[Leg(accounts[0], -amount), Leg(accounts[1], amount)],
        metadata=metadata,
        reverses_id=reverses_id,
    )
    try:
        expected = _as_always(request)
    except TypeError:  # keys that do not sort ({"a": 1, 2: 3}) were always refused
        with pytest.raises(InvalidTransfer):
            _prepare(request)
        return
    prepared = _prepare(request)
    assert (prepared.metadata_json, prepared.request_hash) == expected


def test_a_payout_hashes_as_it_always_has():
    request = TransferRequest(
        kind="payout", legs=[Leg(7, -250), Leg(3, 250)], metadata={"claim": 17}
    )
    assert (
        _prepare(request).request_hash
        == hashlib.sha256(
            b'{"kind":"payout","legs":[[3,250],[7,-250]],"metadata":{"claim":17},"reverses":null}'
        ).hexdigest()
    )
