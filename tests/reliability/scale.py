"""How hard the reliability suite pushes: a fast subset in `make test`, everything in `make chaos`.

`STASH2PLEX_CHAOS=1` (set by `make chaos`) selects the issue's full sizes; without it every
scenario runs the same code on a smaller library with fewer faults, so `make test` stays fast.
"""

from __future__ import annotations

import os

CHAOS = os.environ.get("STASH2PLEX_CHAOS") == "1"


def pick(fast: int, full: int) -> int:
    """`full` under `make chaos`, else `fast`."""
    return full if CHAOS else fast
