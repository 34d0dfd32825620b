"""Fast seeded draws: one `random()` call each instead of `randint`'s bit-rejection loop.

Half the generator's time went into `randint`/`choice`; these keep results deterministic
for a given `random.Random` while costing a third as much.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def between(rng: random.Random, low: int, high: int) -> int:
    """An int in [low, high], both included."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """One element of a non-empty sequence."""
    return items[int(rng.random() * len(items))]
