"""Request budget: a full reconciliation of 10,000 scenes costs at most 30 Plex requests.

Counted on the Plex emulator's request log (every request it answered) and held equal to the
engine's own `plex_requests`. Plex is never searched per scene: the path index is listed
once (pages of 2,000) and refreshed incrementally on the next run.
"""

from __future__ import annotations

from pathlib import Path

from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import expected_gaps, found_gaps

BUDGET = 30


def test_reconcile_all_of_10000_scenes_within_30_plex_requests(
    worlds: WorldFactory, tmp_path: Path
) -> None:
    world = worlds(scenes=10_000, seed=5)
    world.seed_sync_state(tmp_path)

    first = world.engine(tmp_path).run("all")
    served = len(world.plex.log)
    assert first.errors == []
    assert first.plex_requests == served <= BUDGET
    routes = world.plex.log.counts()
    assert not any("/library/metadata" in route for route in routes), routes  # no per-item
    assert first.scenes_checked == 10_000
    assert first.stash_requests == 10  # pages of 1,000
    assert found_gaps(first) == expected_gaps(world.lib)

    world.plex.log.clear()
    again = world.engine(tmp_path).run("recent")
    # Incremental refresh: GET /, the sections, one listing page per section.
    assert again.plex_requests == len(world.plex.log) == 4
    assert again.errors == []
