"""Reconciliation and Plex's optimized versions (issue 15): a copy is never a gap."""

from __future__ import annotations

from pathlib import Path

from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import RecordingQueue, expected_gaps, found_gaps


def test_optimized_copies_are_neither_missing_nor_claim_an_item(
    worlds: WorldFactory, tmp_path: Path
) -> None:
    """Issue 15: a Stash scene of Plex's optimized copy is no gap (never queued), and the
    original's item is judged by the original scene alone."""
    world = worlds(scenes=40, seed=1515, plex_optimized=4, stash_scans_optimized=2)
    copies = set(world.truth.optimized_copies)
    assert len(copies) == 2
    world.seed_sync_state(tmp_path)
    queue = RecordingQueue()

    result = world.engine(tmp_path, queue).run("all")

    assert result.errors == []
    assert found_gaps(result) == expected_gaps(world.lib)  # the copies are in no gap set
    assert not copies & set(queue.ids)
