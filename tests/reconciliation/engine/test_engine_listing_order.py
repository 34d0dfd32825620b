"""Listing order (issue 15): a Plex that ignores `sort` cannot hide wiped items.

The incremental index refresh reads the listing sorted `updatedAt:desc` and stops at the first
item older than its watermark. The emulator's `ignore_sort` answers in its default (title)
order instead: the refresh must notice and read the full listing. Reconcile Library (All) run
by hand (`full_listing`) always reads the full listing, so even a wipe that left `updatedAt`
alone is seen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import EngineWorld, RecordingQueue, found_gaps

LISTING = "GET /library/sections/{id}/all"


@pytest.fixture
def world(worlds: WorldFactory, request: pytest.FixtureRequest) -> Iterator[EngineWorld]:
    # Each test's own world (a seed per test name): it wipes items.
    started = worlds(scenes=40, seed=1500 + len(request.node.name))
    yield started
    started.plex.ignore_sort = False


def _wipe(world: EngineWorld, scene_ids: list[int], *, touch: bool) -> None:
    """What an agent refresh with nothing locked leaves: no metadata at all."""
    emu = world.plex
    with emu.library.lock:
        for sid in scene_ids:
            for _, rk in world.truth.scenes[sid].targets:
                item = emu.item(rk)
                item.summary = item.studio = item.originally_available_at = None
                item.tags.clear()
                item.locked.clear()
                if touch:
                    emu.state.touch(item)


def _synced(world: EngineWorld, count: int) -> list[int]:
    truth = world.truth
    return sorted(s for s in truth.synced if len(truth.scenes[s].targets) == 1)[:count]


def test_incremental_refresh_falls_back_to_the_full_listing(
    world: EngineWorld, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world.seed_sync_state(tmp_path)
    assert world.engine(tmp_path).run("all").errors == []  # builds the index
    wiped = _synced(world, 5)
    assert len(wiped) == 5
    _wipe(world, wiped, touch=True)
    world.plex.ignore_sort = True
    world.plex.log.clear()
    queue = RecordingQueue()

    with caplog.at_level(logging.DEBUG, logger="plex.index"):
        result = world.engine(tmp_path, queue).run("all")

    assert result.errors == []
    assert set(wiped) <= found_gaps(result)["empty_metadata"]
    assert set(wiped) <= set(queue.ids)
    sections = len(world.lib.plex.sections)
    # Per section: the incremental page (not in order), then the full listing (one page).
    assert world.plex.log.counts()[LISTING] == 2 * sections
    fallbacks = [r.getMessage() for r in caplog.records if "in full" in r.getMessage()]
    assert len(fallbacks) == sections
    assert all(m.endswith("Plex ignored sort=updatedAt:desc") for m in fallbacks)


def test_reconcile_all_by_hand_reads_the_full_listing(world: EngineWorld, tmp_path: Path) -> None:
    world.seed_sync_state(tmp_path)
    assert world.engine(tmp_path).run("all").errors == []
    wiped = _synced(world, 5)[::-1][:3]
    # Wiped without moving updatedAt (a restored database, a clock set back): no incremental
    # refresh can see it.
    _wipe(world, wiped, touch=False)
    world.plex.log.clear()
    assert not set(wiped) & found_gaps(world.engine(tmp_path).run("all"))["empty_metadata"]
    sections = len(world.lib.plex.sections)
    assert world.plex.log.counts()[LISTING] == sections  # trusted incremental pages
    world.plex.log.clear()
    queue = RecordingQueue()

    result = world.engine(tmp_path, queue, full_listing=True).run("all")

    assert set(wiped) <= found_gaps(result)["empty_metadata"]
    assert set(wiped) <= set(queue.ids)
    assert world.plex.log.counts()[LISTING] == sections  # one page of 2,000 per section
