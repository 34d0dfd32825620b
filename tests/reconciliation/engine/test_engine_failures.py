"""Partial results: Plex down or failing mid-refresh, Stash failing mid-run. Nothing is lost.

Plex unusable: stale syncs (which need no Plex) are still found and queued, the result says
why the rest was not checked, and the next run, with Plex back, finds the rest.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.httpd import Fault
from sync_queue.inbox import Inbox
from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import (
    EngineWorld,
    RecordingQueue,
    expected_gaps,
    expected_queue,
    found_gaps,
)

LISTING = r"^/library/sections/\d+/all"


def _stale_only(world: EngineWorld, result: object) -> None:
    found = found_gaps(result)
    assert found == {"empty_metadata": set(), "stale_sync": world.truth.stale, "missing": set()}


def test_plex_down_gives_stale_syncs_and_an_error(mapped: EngineWorld, tmp_path: Path) -> None:
    mapped.seed_sync_state(tmp_path)
    queue = RecordingQueue()
    mapped.plex.server.go_down()
    try:
        result = mapped.engine(tmp_path, queue).run("all")
    finally:
        mapped.plex.server.come_up()
    assert not result.complete and not result.plex_checked
    assert len(result.errors) == 1 and result.errors[0].startswith("Plex: ")
    assert "next run" in result.errors[0]
    assert mapped.plex.token not in result.errors[0]
    _stale_only(mapped, result)
    assert set(queue.ids) == set(mapped.truth.stale)
    assert result.scenes_checked == mapped.lib.options.scenes


def test_plex_failing_mid_refresh_loses_nothing(worlds: WorldFactory, tmp_path: Path) -> None:
    """The second section's listing is reset; the next run (Plex healthy) finds the rest and
    skips what the first one queued."""
    world = worlds(scenes=600, seed=6)
    world.seed_sync_state(tmp_path)
    world.plex.knobs.add_fault(Fault(action="reset", path_regex=LISTING, skip=1, count=None))
    with Inbox(tmp_path) as inbox:
        first = world.engine(tmp_path, inbox).run("all")
        world.plex.knobs.clear_faults()
        assert world.plex.log.count("GET /library/sections/{id}/all") == 1
        assert world.plex.log.count("fault:reset") == 1  # the second section's listing
        assert first.errors and first.errors[0].startswith("Plex: ")
        _stale_only(world, first)
        assert first.plex_requests == len(world.plex.log)

        second = world.engine(tmp_path, inbox).run("all")
        queued = inbox.pending_ids("scene")
    want = expected_gaps(world.lib)
    assert second.errors == []
    assert found_gaps(second) == want
    assert second.skipped_already_queued == len(world.truth.stale)
    assert queued == expected_queue(world.lib, want)


def test_stash_failing_mid_run_keeps_what_was_queued(mapped: EngineWorld, tmp_path: Path) -> None:
    mapped.seed_sync_state(tmp_path)
    queue = RecordingQueue()
    engine = mapped.engine(tmp_path, queue, page_size=100)  # connects to Stash first
    mapped.stash.knobs.add_fault(Fault(action="status", status=502, skip=2, count=None))
    result = engine.run("all")
    mapped.stash.knobs.clear_faults()
    assert len(result.errors) == 1 and result.errors[0].startswith("Stash: ")
    assert result.plex_checked
    assert result.stash_requests == 3
    assert 0 < result.scenes_checked <= 200
    assert queue.ids, "the gaps of the pages read were queued"
    assert set(queue.ids) <= expected_queue(mapped.lib, expected_gaps(mapped.lib))
    assert result.enqueued_count == len(queue.ids)
