"""Reconciliation finds what changed without any hook: entity names edited directly in Stash's
library, a cover generated after the push, and (with `reconcile_verify_plex`) a field edited
by hand in Plex. Exactly the drifted scenes, with no Plex request beyond a run without drift.

One synced world (150 scenes, covers pushed, so the scenes without a cover were pushed with
their cover pending). Changes go straight into the emulators' data: no hook fires, and no
scene's `updated_at` moves, as when Stash renames a performer (reference/stash.md §7.7).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from reconciliation.engine import GapDetectionEngine
from reconciliation.history import reconciliation_status
from sandbox.images import jpeg_bytes
from stash.client import StashGateway
from sync_queue.inbox import Inbox
from tasks.reconcile import GAP_WORDS
from tests.entities.world import EntityWorld, start_entity_world
from validation.config import Stash2PlexConfig
from worker.services import WorkerServices

HEAVY_LIMIT = 200  # names pushed per tag list


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EntityWorld]:
    synced = start_entity_world(tmp_path_factory.mktemp("drift") / "data", 150, seed=21)
    yield synced
    synced.stop()


def _engine_run(world: EntityWorld, queue: object = None, **settings: object):  # type: ignore[no-untyped-def]
    config = Stash2PlexConfig(**{**world.sandbox.plugin_settings(), **settings})  # type: ignore[arg-type]
    with StashGateway.from_server_connection(world.stash.connection()) as gateway:
        return GapDetectionEngine(gateway, config, world.data_dir, queue).run("all")


def _drift(result) -> set[int]:  # type: ignore[no-untyped-def]
    return {gap.scene_id for gap in result.gaps if gap.gap_type == "drift"}


def _no_heavy(world: EntityWorld, scenes: set[int]) -> bool:
    return not scenes & world.truth.heavy


def test_names_changed_without_hooks_are_exactly_the_drifted_scenes(world: EntityWorld) -> None:
    lib = world.library
    assert lib.scenes and world.truth.no_cover
    _engine_run(world)  # the first run after a sync lists the items the sync wrote
    quiet = _engine_run(world)
    assert quiet.errors == [] and quiet.drift_count == 0 and quiet.by_type["drift"] == 0

    performer = next(
        p
        for p in sorted(lib.performers)
        if _no_heavy(world, world.scenes_with("performer_ids", p))
        and world.scenes_with("performer_ids", p)
    )
    parent = next(s.parent_id for s in lib.studios.values() if s.parent_id is not None)
    children = {s.id for s in lib.studios.values() if s.parent_id == parent}
    group = next(g for s in lib.scenes.values() for g, _ in s.groups)
    covered = min(world.truth.no_cover)
    expected = (
        world.scenes_with("performer_ids", performer)
        | {sid for sid, s in lib.scenes.items() if s.studio_id in {parent, *children}}
        | {sid for sid, s in lib.scenes.items() if any(g == group for g, _ in s.groups)}
        | {covered}
    )
    with lib.lock:
        lib.performers[performer].name = "Renamed Without Hook"
        lib.studios[parent].name = "Parent Studio Renamed"
        lib.groups[group].name = "Group Renamed"
        lib.scenes[covered].cover = jpeg_bytes("generated later")
    entity_hooks = ("Performer", "Studio", "Group")
    assert not any(call.trigger.startswith(entity_hooks) for call in world.stash.hook_log)

    drifted = _engine_run(world)
    assert drifted.errors == []
    assert _drift(drifted) == expected
    assert drifted.drift_count == len(expected) == drifted.by_type["drift"]
    assert drifted.total_gaps == sum(drifted.by_type.values())
    assert drifted.plex_requests == quiet.plex_requests  # drift costs Plex nothing
    for kind in ("empty_metadata", "stale_sync", "missing"):
        assert drifted.by_type[kind] == quiet.by_type[kind]
    (cover_gap,) = [g for g in drifted.gaps if g.scene_id == covered]
    assert "cover" in cover_gap.reason

    # The task: queued, recorded in the history, then pushed; afterwards no drift is left.
    reconciled = world.run_task("reconcile_all")
    assert reconciled.exit_code == 0, reconciled.error
    assert reconciled.output["gaps_by_type"]["drift"] == len(expected)
    status = reconciliation_status(world.data_dir)
    assert status["last_gaps_by_type"]["drift"] == len(expected)
    with Inbox(world.data_dir) as inbox:
        recorded = inbox.pending_ids("scene")
    assert recorded == expected - world.queued()  # pending covers are queued already
    later = WorkerServices(clock=lambda: time.time() + 600)  # the covers' waits are over
    pushed = world.run_task("process_queue", later)
    assert pushed.exit_code == 0 and pushed.output["failed"] == 0, pushed.error
    assert _drift(_engine_run(world)) == set()
    for _, rating_key in world.truth.scenes[covered].targets:
        assert world.plex.item(rating_key).selected_poster is not None


def test_preview_gaps_lists_drift_with_its_reason(world: EntityWorld) -> None:
    lib = world.library
    tag = next(t for t in sorted(lib.tags) if 1 <= len(world.scenes_with("tag_ids", t)) <= 30)
    scenes = world.scenes_with("tag_ids", tag)
    with lib.lock:
        lib.tags[tag].name = "Tag Renamed Quietly"
    preview = world.run_task("preview_gaps")
    assert preview.exit_code == 0, preview.error
    out = preview.output
    listed = {gap["scene_id"] for gap in out["gaps"] if gap["gap_type"] == "drift"}
    assert out["gaps_by_type"]["drift"] == len(scenes) and listed <= scenes and listed
    # One line per gap type in words, naming a few of its scenes (each gap's reason: debug).
    (line,) = [m for m in preview.messages() if GAP_WORDS["drift"] in m]
    assert line.startswith(f"{len(scenes)} scene") and str(min(listed)) in line
    assert out["enqueued_count"] == 0
    world.run_task("reconcile_all")
    assert world.run_task("process_queue").exit_code == 0


def test_a_field_edited_in_plex_is_queued_or_with_preserve_only_reported(
    world: EntityWorld,
) -> None:
    synced = next(
        sid
        for sid in sorted(world.truth.scenes)
        if len(world.truth.scenes[sid].targets) == 1 and world.library.scenes[sid].title
    )
    (_, rating_key) = world.truth.scenes[synced].targets[0]
    _engine_run(world)
    quiet = _engine_run(world, reconcile_verify_plex=True)
    assert quiet.plex_verified and quiet.by_type["plex_drift"] == 0
    plex = world.plex
    with plex.library.lock:
        item = plex.library.items[rating_key]
        item.title = "Edited by hand in Plex"
        item.updated_at = max(i.updated_at for i in plex.library.items.values()) + 10
        plex.state.invalidate(item.section_id)

    kept = _engine_run(world, reconcile_verify_plex=True, preserve_plex_edits=True)
    (gap,) = [g for g in kept.gaps if g.gap_type == "plex_drift"]
    assert gap.scene_id == synced and f"item {rating_key}: title" in gap.reason
    assert kept.plex_requests == quiet.plex_requests
    assert kept.to_enqueue_count == 0 and kept.plex_drift_report_only
    assert any("preserve_plex_edits" in line for line in kept.summary_lines())
    assert "plex_drift" not in _engine_run(world).by_type  # off by default

    with Inbox(world.data_dir) as inbox:
        queued = _engine_run(world, inbox, reconcile_verify_plex=True)
        assert inbox.pending_ids("scene") == {synced}
    assert queued.enqueued_count == 1 and queued.plex_drift_count == 1
    assert world.run_task("process_queue").exit_code == 0
    assert plex.item(rating_key).title == world.library.scenes[synced].title
