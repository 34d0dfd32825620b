"""The engine finds exactly the generator's known gaps, per type, and queues each scene once.

Libraries with every planted case (not scanned, outside sections, ambiguous pairs and
splits, basename-only matches, NFD paths, two sections, multi-file, wiped, stale), with and
without `path_map`, with a Windows-style Plex, and with pages small enough that ambiguous
pairs and deferred scenes straddle page boundaries.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sync_queue.inbox import Inbox
from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import (
    EngineWorld,
    expected_gaps,
    expected_queue,
    found_gaps,
)

WORLDS = {
    "path_map": {"scenes": 1500, "seed": 1},
    "equal_roots": {"scenes": 1500, "seed": 2, "plex_root": "/data/videos"},
    "windows_plex": {"scenes": 600, "seed": 4, "windows_plex": True},
}


@pytest.mark.parametrize("name", list(WORLDS))
def test_gaps_equal_the_known_sets(worlds: WorldFactory, tmp_path: Path, name: str) -> None:
    world = worlds(**WORLDS[name])
    assert bool(world.truth.path_map) == (name != "equal_roots")
    world.seed_sync_state(tmp_path)
    with Inbox(tmp_path) as inbox:
        result = world.engine(tmp_path, inbox).run("all")
        queued = inbox.pending_ids("scene")

    want = expected_gaps(world.lib)
    assert found_gaps(result) == want
    assert result.errors == []
    assert result.scenes_checked == world.lib.options.scenes
    assert (result.empty_metadata_count, result.stale_sync_count, result.missing_count) == (
        len(want["empty_metadata"]),
        len(want["stale_sync"]),
        len(want["missing"]),
    )
    assert result.total_gaps == sum(len(ids) for ids in want.values())
    # Every case is present, so the comparison above is not vacuous.
    assert all(want.values()) and world.truth.basename and world.truth.wiped
    assert queued == expected_queue(world.lib, want)
    assert result.enqueued_count == len(queued)
    assert result.ambiguous_count == len(world.truth.ambiguous)
    assert result.plex_requests == len(world.plex.log)


def test_pages_smaller_than_the_cases_change_nothing(mapped: EngineWorld, tmp_path: Path) -> None:
    """Ambiguous pairs and basename matches whose scenes sit on different pages."""
    mapped.seed_sync_state(tmp_path)
    result = mapped.engine(tmp_path, page_size=37).run("all")
    assert found_gaps(result) == expected_gaps(mapped.lib)
    assert result.ambiguous_count == len(mapped.truth.ambiguous)
    assert result.stash_requests == math.ceil(mapped.lib.options.scenes / 37)


def test_without_sync_records_every_matched_scene_is_judged_by_plex_alone(
    mapped: EngineWorld, tmp_path: Path
) -> None:
    """No sync state at all (fresh install): no stale gaps; synced scenes' full items are no
    gap; wiped items still are (Plex is empty), and nothing matched is 'missing'."""
    result = mapped.engine(tmp_path).run("all")
    found = found_gaps(result)
    want = expected_gaps(mapped.lib)
    assert found["stale_sync"] == set()
    assert found["empty_metadata"] == want["empty_metadata"]
    assert found["missing"] == want["missing"]
