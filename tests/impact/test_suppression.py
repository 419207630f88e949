"""Suppression on a table of a whole town's size: every small cell withheld, none solvable."""

import random
from collections.abc import Hashable

from impact.figures import TOWN, area, category, cell, work_sums
from impact.suppression import MINIMUM_RESIDENTS, derivable, suppress

CATEGORIES = ["greenery", "litter", "play_areas", "painting", "social_help", "events", "other"]


def full_town(seed: int) -> dict[Hashable, int]:
    """21 neighbourhoods x 7 categories, most cells active, many of them small."""
    rng = random.Random(seed)
    residents: dict[Hashable, int] = {
        cell(a, c): rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 20])
        for a in range(1, 22)
        for c in CATEGORIES
        if rng.random() < 0.8
    }
    cells: dict = dict(residents)
    for a in range(1, 22):
        residents[area(a)] = sum(v for k, v in cells.items() if k[1] == a)
    for c in CATEGORIES:
        residents[category(c)] = sum(v for k, v in cells.items() if k[2] == c)
    residents[TOWN] = sum(cells.values())
    return residents


def test_a_full_town_is_protected():
    for seed in range(3):
        residents = full_town(seed)
        sums = work_sums(list(residents))
        hidden = suppress(residents=residents, sums=sums)
        assert {k for k, v in residents.items() if v < MINIMUM_RESIDENTS} <= hidden
        assert derivable(hidden=hidden, sums=sums) == set()
        assert TOWN not in hidden
        assert len(hidden) < len(residents) / 2
