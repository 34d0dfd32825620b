"""Enqueue rules, dry run, skip_missing, progress and the Stash contract of the engine.

Dedupe is only against work already pending (inbox or worker queue) and within the run; an
empty-metadata gap on a synced scene is queued; scenes without metadata to push are not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stashapi.stashapp import StashInterface

from sync_queue.inbox import Inbox
from sync_queue.queuedb import get_queued_scene_ids
from sync_queue.workqueue import WorkQueue
from tests.reconciliation.engine.world import (
    EngineWorld,
    RecordingQueue,
    expected_gaps,
    expected_queue,
    found_gaps,
)


def test_each_scene_is_queued_once_and_pending_work_is_skipped(
    mapped: EngineWorld, tmp_path: Path
) -> None:
    want = expected_gaps(mapped.lib)
    wiped = sorted(mapped.truth.wiped)[0]
    # An older sync record on a wiped scene: empty_metadata *and* stale_sync.
    stamps = mapped.seed_sync_state(tmp_path, {wiped: mapped.truth.sync_timestamps[wiped] - 60})
    assert stamps[wiped] < mapped.truth.sync_timestamps[wiped]
    in_inbox = sorted(want["empty_metadata"] - {wiped})[:3]
    in_queue = sorted(want["missing"] - mapped.truth.no_metadata)[:2]
    with Inbox(tmp_path) as inbox:
        inbox.record("scene", in_inbox, "hook")
    with WorkQueue(tmp_path) as work:
        work.add_many(in_queue)

    queue = RecordingQueue()
    result = mapped.engine(tmp_path, queue).run("all")

    found = found_gaps(result)
    assert wiped in found["empty_metadata"] and wiped in found["stale_sync"]
    queued = queue.ids
    assert len(queued) == len(set(queued)) == result.enqueued_count
    assert queued.count(wiped) == 1
    assert result.total_gaps == sum(len(ids) for ids in found.values())
    assert result.scenes_with_gaps == len(set().union(*found.values()))
    assert result.skipped_already_queued == len(in_inbox) + len(in_queue)
    assert not set(queued) & (set(in_inbox) | set(in_queue))
    # Synced scenes whose Plex item was wiped by an agent refresh are queued.
    assert mapped.truth.wiped <= set(queued)
    gap_scenes = set().union(*found.values())
    no_metadata = gap_scenes & mapped.truth.no_metadata
    assert no_metadata, "the library has gap scenes without metadata"
    assert result.skipped_no_metadata == len(no_metadata)
    assert not no_metadata & set(queued)
    assert set(queued) == expected_queue(mapped.lib, found) - set(in_inbox) - set(in_queue)


def test_dry_run_queues_nothing(mapped: EngineWorld, tmp_path: Path) -> None:
    mapped.seed_sync_state(tmp_path)
    result = mapped.engine(tmp_path, None).run("all")
    assert result.dry_run
    assert result.enqueued_count == 0
    assert result.to_enqueue_count == len(expected_queue(mapped.lib, found_gaps(result))) > 0
    assert found_gaps(result) == expected_gaps(mapped.lib)
    assert get_queued_scene_ids(tmp_path) == set()


def test_skip_missing_leaves_missing_scenes_out(mapped: EngineWorld, tmp_path: Path) -> None:
    mapped.seed_sync_state(tmp_path)
    queue = RecordingQueue()
    config = mapped.config(reconcile_skip_missing=True)
    result = mapped.engine(tmp_path, queue, config=config).run("all")
    want = expected_gaps(mapped.lib)
    assert result.missing_count == 0
    assert found_gaps(result) == {**want, "missing": set()}
    only_missing = want["missing"] - want["empty_metadata"] - want["stale_sync"]
    assert not only_missing & set(queue.ids)


def test_progress_runs_from_0_to_1(mapped: EngineWorld, tmp_path: Path) -> None:
    seen: list[float] = []
    mapped.engine(tmp_path, page_size=200, progress=seen.append).run("all")
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    assert len(set(seen)) >= 5  # moves page by page


def test_unknown_scope_is_refused(mapped: EngineWorld, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scope"):
        mapped.engine(tmp_path).run("yesterday")


def test_a_raw_stashapi_interface_is_enough(mapped: EngineWorld, tmp_path: Path) -> None:
    """The engine's Stash contract is stashapi's find_scenes, nothing of our gateway."""
    raw = StashInterface({"scheme": "http", "host": "127.0.0.1", "port": mapped.stash.port})
    mapped.seed_sync_state(tmp_path)
    result = mapped.engine(tmp_path, stash=raw).run("all")
    assert result.errors == []
    assert found_gaps(result) == expected_gaps(mapped.lib)
    assert result.stash_requests == mapped.stash.log.count("graphql:findScenes") == 1
