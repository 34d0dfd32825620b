"""A poster replaced in Plex behind our back is restored by the next Reconcile Library (All)
(issue 15): reconciliation queues the scene because its item's `updatedAt` moved past the one
recorded after our last write; the worker looks at the item's posters (one GET) and uploads
ours again. Run as Stash runs the plugin (`sandbox.inprocess.run_in_process`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.generator import GeneratorOptions
from sandbox.harness import PluginRun
from sandbox.images import jpeg_bytes
from sandbox.inprocess import run_in_process
from sandbox.plex_emu import images
from sandbox.world import Sandbox, start_sandbox
from sync_queue.queuedb import get_queued_scene_ids
from tests.sync.conftest import POSTER, POSTERS_GET


def _run(world: Sandbox, data_dir: Path, mode: str) -> PluginRun:
    run = run_in_process(world.harness.stdin_payload({"mode": mode}), data_dir)
    assert run.ok, (mode, run.error, run.stderr[-3000:])
    return run


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Sandbox]:
    options = GeneratorOptions(
        scenes=12,
        seed=15,
        frac_no_files=0.0,
        frac_outside_sections=0.0,
        frac_not_scanned=0.0,
        frac_no_cover=0.0,
        frac_ambiguous=0.0,
    )
    sandbox = start_sandbox(options, data_dir=tmp_path / "data", run_jobs_inline=False)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def test_a_poster_replaced_in_plex_is_restored_by_reconcile_all(
    world: Sandbox, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    _run(world, data_dir, "sync_all")
    ours = {
        rk: item.selected_poster
        for rk, item in world.plex.library.items.items()
        if str(item.selected_poster).startswith("upload://")
    }
    assert len(ours) >= 5
    _run(world, data_dir, "reconcile_all")
    assert get_queued_scene_ids(data_dir) == set()  # nothing moved: nothing to look at

    rk = min(ours)
    item = world.plex.library.items[rk]
    images.upload(world.plex.state, item, images.POSTERS, jpeg_bytes("chosen in Plex"), None)
    item.updated_at += 60  # replaced after our write
    assert item.selected_poster != ours[rk]

    _run(world, data_dir, "reconcile_all")
    queued = get_queued_scene_ids(data_dir)
    assert len(queued) == 1
    world.plex.log.clear()
    _run(world, data_dir, "process_queue")

    assert item.selected_poster == ours[rk]
    assert world.plex.log.count(POSTER) == 1
    assert world.plex.log.count(POSTERS_GET) == 2  # the look, then the applied check
    _run(world, data_dir, "reconcile_all")
    assert get_queued_scene_ids(data_dir) == set()  # converged: not queued again
