"""Small-cell suppression for published tables (docs/open-data.md).

A published table is a set of cells, each with the number of distinct residents behind it, and
a set of sums: a total cell equals the sum of its part cells (a neighbourhood's month is the sum
of its task categories, the town's month the sum of its neighbourhoods...). Any figure backed by
fewer than `MINIMUM_RESIDENTS` residents is suppressed (primary suppression). Then, while some
suppressed cell could still be solved for exactly from the published cells and the sums
(linear algebra over the rationals), one more published cell of a sum that gives it away is
suppressed as well (complementary suppression): of the published cells sharing a sum with an
exposed one, the one that leaves the fewest exposed, then the one backed by the fewest residents.

"Solved for" means: a suppressed cell's value is fixed by the linear system the sums make once
the published values are filled in. That holds exactly when its unit vector lies in the row space
of the system restricted to the suppressed cells, which `derivable` tests on its reduced row
echelon form (exactly: see `P`).
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

MINIMUM_RESIDENTS = 5


@dataclass(frozen=True, slots=True)
class Sum:
    """`total` equals the sum of `parts` (for every additive figure of the table)."""

    total: Hashable
    parts: tuple[Hashable, ...]


# Arithmetic modulo a large prime instead of fractions: the matrices here (cells with their
# neighbourhood and category totals, or parts with their total) are totally unimodular, every
# minor is 0 or +-1, so ranks and the fixed columns are the same over the integers mod P as over
# the rationals, and the integers are some twenty times faster.
P = 2**61 - 1


def _fixed_columns(rows: list[list[int]], columns: int) -> set[int]:
    """The columns whose variable the homogeneous part of the system fixes: reduce to row
    echelon form; a variable is fixed when it leads a row that holds no free variable, i.e.
    when every solution of the null space is zero there."""
    matrix = [[value % P for value in row] for row in rows]
    pivots: list[int] = []
    rank = 0
    for column in range(columns):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        inverse = pow(matrix[rank][column], P - 2, P)
        lead = [value * inverse % P for value in matrix[rank]]
        matrix[rank] = lead
        for i in range(len(matrix)):
            factor = matrix[i][column]
            if i != rank and factor:
                matrix[i] = [(a - factor * b) % P for a, b in zip(matrix[i], lead, strict=True)]
        pivots.append(column)
        rank += 1
    free = set(range(columns)) - set(pivots)
    return {
        column for row, column in enumerate(pivots) if not any(matrix[row][other] for other in free)
    }


def derivable(*, hidden: Iterable[Hashable], sums: Sequence[Sum]) -> set[Hashable]:
    """The hidden cells whose value the sums fix exactly, whatever the published values."""
    unknown = sorted(set(hidden), key=repr)
    index = {key: i for i, key in enumerate(unknown)}
    rows: list[list[int]] = []
    for total in sums:
        row = [0] * len(unknown)
        if total.total in index:
            row[index[total.total]] -= 1
        for part in total.parts:
            if part in index:
                row[index[part]] += 1
        if any(row):
            rows.append(row)
    return {unknown[column] for column in _fixed_columns(rows, len(unknown))}


def _beside(
    target: Hashable | None,
    hidden: set[Hashable],
    residents: Mapping[Hashable, int],
    sums: Sequence[Sum],
) -> list[Hashable]:
    """Published cells sharing a sum with `target` (with any withheld cell when None)."""
    found: list[Hashable] = []
    for total in sums:
        members = (total.total, *total.parts)
        if (target in members) if target is not None else any(m in hidden for m in members):
            found.extend(m for m in members if m in residents and m not in hidden)
    return found


def suppress(
    *, residents: Mapping[Hashable, int], sums: Sequence[Sum], minimum: int = MINIMUM_RESIDENTS
) -> set[Hashable]:
    """The cells to withhold: those with fewer than `minimum` residents, and as many others as it
    takes so that none of them can be solved for from the rest. A cell absent from `residents`
    is a published zero (no activity, nobody to protect) and is never withheld."""
    hidden = {key for key, count in residents.items() if count < minimum}
    while exposed := derivable(hidden=hidden, sums=sums):
        candidates = {
            candidate
            for target in exposed
            for candidate in _beside(target, hidden, residents, sums)
        } or set(_beside(None, hidden, residents, sums))
        if not candidates:
            raise ValueError(f"cells {sorted(exposed, key=repr)} cannot be protected")
        # Withhold the figure that leaves the fewest cells exposed, then the smallest one.
        hidden.add(
            min(
                candidates,
                key=lambda key: (
                    len(derivable(hidden=hidden | {key}, sums=sums)),
                    residents[key],
                    repr(key),
                ),
            )
        )
    return hidden
