"""The drain loop in-process against the Stash emulator, with the scripted Plex step:
workqueue collapse cases, one Stash request per batch, outcomes, missing scenes, destroys."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from base.status import SceneStatus
from reconciliation.scheduler import ReconciliationScheduler
from runtime import voice
from sandbox.world import Sandbox
from sync_queue.inbox import Inbox
from sync_queue.lock import worker_lock
from sync_queue.queuedb import FailedList
from sync_queue.sync_state import SceneSyncState, SyncStateStore, load_sync_timestamps
from tests.worker.conftest import (
    data_dir_of,
    edit_and_hook,
    our_jobs,
    queue_items,
    queue_scenes,
    run_recorded_hooks,
    run_task,
    stash_query,
    stash_updated_at,
)
from tests.worker.fakes import Script, scene_events, services_for

BULK = "mutation Bulk($input: BulkSceneUpdateInput!) { bulkSceneUpdate(input: $input) { id } }"


def _processings(world: Sandbox) -> Counter[int]:
    return Counter(e["id"] for e in scene_events(data_dir_of(world)))


def test_collapse_while_processing_gives_exactly_one_more_run(world: Sandbox) -> None:
    ids = [1, 2, 3, 4, 5, 6]
    stash_query(world, BULK, {"input": {"ids": [str(i) for i in ids], "rating100": 60}})
    hook_runs = run_recorded_hooks(world)
    assert [r.exit_code for r in hook_runs] == [0] * 6
    # One bulk edit: six hooks, one wake-up request (the marker spares the other five).
    assert len(our_jobs(world, "READY")) == 1
    edited: dict[int, str] = {}

    def on_scene(sid: int, scene: dict[str, Any]) -> None:
        # While scene 2 is processed the first time: three edits of it (adds during
        # processing collapse into ONE more run) and one of queued scene 5 (collapses
        # into its queued row: no extra run).
        if sid == 2 and 2 not in edited:
            for n in range(3):
                edited[2] = edit_and_hook(world, 2, f"edited while processing {n}")
            edited[5] = edit_and_hook(world, 5, "edited while queued")

    services = services_for(Script(batch_size=3), on_scene=on_scene)
    requests_before = world.stash.log.count("graphql:findScenes")
    result = run_task(world, "process_queue", services)

    assert result.exit_code == 0 and result.error is None
    assert _processings(world) == {1: 1, 2: 2, 3: 1, 4: 1, 5: 1, 6: 1}
    last_seen = {e["id"]: e["updated_at"] for e in scene_events(data_dir_of(world))}
    assert last_seen[2] == edited[2] == stash_updated_at(world, 2)
    assert last_seen[5] == edited[5] == stash_updated_at(world, 5)
    assert queue_items(world) == {}
    summary = result.output
    assert (summary["synced"], summary["reruns"], summary["remaining"]) == (7, 1, 0)
    # The catch-up's page, then batches [1,2,3], [4,5,6], [2]: one findScenes request each.
    assert summary["batches"] == 3
    assert world.stash.log.count("graphql:findScenes") - requests_before == 1 + 3
    # What was synced is remembered: the synced updated_at of every scene.
    assert set(load_sync_timestamps(data_dir_of(world))) == set(ids)
    assert result.progress and result.progress[-1] == 1.0
    assert any(line.startswith("Stash2Plex: Process Queue: 7 synced") for line in result.messages())


def test_adds_collapse_per_scene_and_ready_rows_are_not_run_twice(world: Sandbox) -> None:
    queue_scenes(world, [7, 8])
    queue_scenes(world, [8, 7, 8])
    with Inbox(data_dir_of(world)) as inbox:
        assert inbox.pending_count() == 2
    result = run_task(world, "process_queue", services_for(Script()))
    assert result.exit_code == 0
    assert _processings(world) == {7: 1, 8: 1}


def test_scenes_gone_from_stash_and_destroyed_scenes_are_forgotten(world: Sandbox) -> None:
    data_dir = data_dir_of(world)
    with SyncStateStore(data_dir) as store:
        store.put_many([SceneSyncState(sid, "2026-01-01T00:00:00Z", None) for sid in (4, 9999, 12)])
    queue_scenes(world, [3, 9999, 12])
    stash_query(world, 'mutation { sceneDestroy(input: {id: "12"}) }')
    runs = run_recorded_hooks(world)
    assert [r.output for r in runs] == [{"hook": "Scene.Destroy.Post", "scene_ids": [12]}]
    with Inbox(data_dir) as inbox:  # the destroy superseded the pending edit of 12
        assert [(r.kind, r.ref_id) for r in inbox.rows()] == [
            ("scene", 3),
            ("scene", 9999),
            ("scene_destroy", 12),
        ]
    result = run_task(world, "process_queue", services_for(Script()))
    assert result.exit_code == 0
    assert _processings(world) == {3: 1}
    assert (result.output["dropped"], result.output["destroyed"]) == (1, 1)
    assert set(load_sync_timestamps(data_dir)) == {3, 4}
    assert queue_items(world) == {}


def test_retry_wait_failed_become_their_queue_actions(world: Sandbox) -> None:
    clock_now = [1_800_000_000.0]
    services = services_for(
        Script(outcomes={1: ["retry"], 2: ["wait"], 3: ["failed"], 4: ["unchanged"]}),
        clock=lambda: clock_now[0],
        rand=lambda: 0.5,  # no jitter: the middle of the range
    )
    queue_scenes(world, [1, 2, 3, 4])
    result = run_task(world, "process_queue", services)
    assert result.exit_code == 0
    out = result.output
    assert (out["retried"], out["waiting"], out["failed"], out["unchanged"]) == (1, 1, 1, 1)
    items = queue_items(world)
    assert set(items) == {1, 2}
    assert items[1].ready_at == clock_now[0] + 30.0 and items[1].attempts == 1
    assert items[1].last_error_class == "plex_error"
    assert items[2].ready_at == clock_now[0] + 300.0 and items[2].attempts == 0
    assert items[2].waits == 1 and str(items[2].wait_reason).startswith("not_scanned: ")
    with FailedList(data_dir_of(world)) as failed:
        entry = failed.get(3)
    assert entry is not None and entry.reason_class == "outside_libraries"
    assert out["remaining"] == 2 and out["due_remaining"] == 0
    # Hooks learn when the queue is next due without opening it.
    with Inbox(data_dir_of(world)) as inbox:
        assert inbox.queue_due_at() == clock_now[0] + 30.0
        assert not inbox.has_due(clock_now[0]) and inbox.has_due(clock_now[0] + 30.0)
    # Told once, grouped by reason, in words: no class names, no line per scene.
    info = result.messages("info")
    assert any(
        m.startswith("1 scene to be retried: Plex answered with an error (1, e.g. 1") for m in info
    ), info
    assert any(m.startswith("1 scene waiting: not scanned by Plex yet (1, e.g. 2") for m in info)
    (failed,) = result.messages("warning")
    assert failed.startswith("1 scene failed: outside every Plex library (1, e.g. 3")
    assert not any(m.startswith("Scene ") for m in result.messages())
    assert "PlexTransient" not in result.stderr and "NotScanned" not in result.stderr


def test_the_summary_counts_every_scene_by_reason_and_names_a_small_run(
    world: Sandbox,
) -> None:
    """Synced and not-pushed scenes alike: counted (log, output, last_run.json), named by id
    and title when the run touched a few, each reason's fix once; with debug logging on,
    each synced scene lists what it wrote."""
    world.configure_plugin(debug_logging=True)
    script = Script(
        outcomes={1: ["synced"], 2: ["not_organized"], 3: ["not_organized"], 4: ["failed"]}
    )
    queue_scenes(world, [1, 2, 3, 4])
    result = run_task(world, "process_queue", services_for(script))
    assert result.exit_code == 0, result.error
    out = result.output
    assert (out["synced"], out["not_pushed"], out["failed"], out["unchanged"]) == (1, 2, 1, 0)
    groups = {(g["fate"], g["reason"]): g for g in out["not_synced"]}
    assert groups[("not pushed", "not_organized")]["count"] == 2
    assert [e["id"] for e in groups[("not pushed", "not_organized")]["examples"]] == [2, 3]
    title = {
        sid: stash_query(world, f'{{ findScene(id: "{sid}") {{ title }} }}')["findScene"]["title"]
        for sid in (1, 2)
    }
    info = result.messages("info")
    assert any(
        m.startswith("Stash2Plex: Process Queue: 1 synced, 0 unchanged, 2 not pushed,")
        for m in info
    )
    named = next(m for m in info if m.startswith("Synced: "))
    assert named.startswith(f"Synced: {voice.scene_ref(1, title[1])}")
    pushed = next(m for m in info if m.startswith("2 scenes not pushed: not organized (2, e.g."))
    assert voice.scene_ref(2, title[2]) in pushed
    fixes = [m for m in info if m.startswith("Not organized: ")]
    assert fixes == [voice.fix_line("not organized", SceneStatus.NOT_ORGANIZED.fix)]
    assert any(
        m.startswith("[debug] Scene 1") and m.endswith(": synced (wrote title)") for m in info
    ), info
    assert all(len(m) <= voice.INFO_LIMIT for m in info if not m.startswith("[debug]"))
    last = json.loads((data_dir_of(world) / "last_run.json").read_text())
    assert last["not_pushed"] == 2 and last["not_synced"] == out["not_synced"]


def test_a_scene_fails_after_max_retries_with_backoff_growing(world: Sandbox) -> None:
    world.configure_plugin(max_retries=3)
    now = [1_800_000_000.0]
    script = Script(outcomes={5: ["retry", "retry", "retry", "retry"]})
    services = services_for(script, clock=lambda: now[0], rand=lambda: 0.5)
    queue_scenes(world, [5])
    delays = []
    for _ in range(3):
        result = run_task(world, "process_queue", services)
        assert result.exit_code == 0
        item = queue_items(world).get(5)
        if item is not None:
            delays.append(item.ready_at - now[0])
            now[0] = item.ready_at
    assert delays == [30.0, 60.0]
    assert queue_items(world) == {}
    with FailedList(data_dir_of(world)) as failed:
        entry = failed.get(5)
    assert entry is not None and entry.attempts == 3
    assert entry.message.startswith("gave up after 3 attempts: Plex answered 503")


def test_a_second_worker_exits_at_once_saying_one_is_running(world: Sandbox) -> None:
    queue_scenes(world, [1])
    lock = worker_lock(data_dir_of(world))
    assert lock.acquire()
    try:
        result = run_task(world, "process_queue", services_for(Script()))
    finally:
        lock.release()
    assert result.exit_code == 0
    assert result.output["stopped"] == "another worker is running"
    assert any("another Stash2Plex worker is running" in m for m in result.messages("info"))
    assert scene_events(data_dir_of(world)) == []
    with Inbox(data_dir_of(world)) as inbox:
        assert inbox.pending_ids("scene") == {1}


def test_paused_records_but_pushes_nothing(world: Sandbox) -> None:
    world.configure_plugin(paused=True)
    queue_scenes(world, [1, 2])
    result = run_task(world, "process_queue", services_for(Script()))
    assert result.exit_code == 0 and result.output["stopped"] == "paused"
    assert scene_events(data_dir_of(world)) == []
    assert set(queue_items(world)) == {1, 2}
    edit_and_hook(world, 3, "edited while paused")
    assert our_jobs(world) == []  # no wake-up while paused
    with Inbox(data_dir_of(world)) as inbox:
        assert inbox.pending_ids("scene") == {3}  # recorded all the same


def test_missing_plex_settings_fail_with_one_line_and_hooks_stop_waking(world: Sandbox) -> None:
    with world.stash.library.lock:
        world.stash.library.plugin_settings["Stash2Plex"] = {}
    queue_scenes(world, [1])
    result = run_task(world, "process_queue", services_for(Script()))
    assert result.exit_code == 1
    assert result.error is not None and result.error.startswith("Stash2Plex is not set up")
    assert result.messages("error") == [result.error]
    edit_and_hook(world, 2, "edited before setup")
    assert our_jobs(world) == []
    with Inbox(data_dir_of(world)) as inbox:
        assert inbox.pending_ids("scene") == {1, 2}  # nothing lost


def test_the_production_step_pushes_the_queued_scenes_to_plex(world: Sandbox) -> None:
    empty = run_task(world, "process_queue")
    assert empty.exit_code == 0 and empty.output["synced"] == 0  # nothing to do: no Plex
    assert len(world.plex.log) == 0
    synced = sorted(world.generated.truth.plex_empty - world.generated.truth.no_metadata)[:2]
    queue_scenes(world, synced)
    result = run_task(world, "process_queue")
    assert result.exit_code == 0
    assert result.output["synced"] + result.output["waiting"] == 2  # waiting: cover pending
    assert result.output["plex_requests"] > 0
    assert queue_items(world).keys() <= set(synced)  # only a pending cover waits
    for sid in synced:
        title = world.generated.stash.scenes[sid].title
        for _, rating_key in world.generated.truth.scenes[sid].targets:
            assert not title or world.plex.item(rating_key).title == title


def test_an_edit_during_the_last_batch_is_picked_up_before_exiting(world: Sandbox) -> None:
    queue_scenes(world, [1, 2])
    edits: list[str] = []

    def on_scene(sid: int, scene: dict[str, Any]) -> None:
        if sid == 2 and not edits:
            edits.append(edit_and_hook(world, 1, "edited during the last batch"))

    result = run_task(world, "process_queue", services_for(Script(), on_scene=on_scene))
    assert result.exit_code == 0
    events = scene_events(data_dir_of(world))
    assert [e["id"] for e in events] == [1, 2, 1]
    assert events[-1]["updated_at"] == edits[0] == stash_updated_at(world, 1)
    assert queue_items(world) == {}


def test_a_due_reconciliation_runs_first_and_its_gaps_are_processed(world: Sandbox) -> None:
    world.configure_plugin(reconcile_interval="daily", reconcile_scope="all")
    result = run_task(world, "process_queue", services_for(Script()))
    assert result.exit_code == 0
    infos = result.messages("info")
    assert "Reconciliation due (daily reconciliation due (never ran)): checking scope all" in infos
    assert any(m.startswith("Reconciliation (all): 30 scene(s) checked") for m in infos)
    state = ReconciliationScheduler(data_dir_of(world)).load_state()
    assert (state.run_count, state.last_run_scope, state.is_startup_run) == (1, "all", False)
    assert state.last_enqueued > 0
    # The gaps went into the inbox before the drain: this same run processed them.
    assert len(_processings(world)) == state.last_enqueued
    assert queue_items(world) == {}


def test_secrets_in_a_step_message_never_reach_log_queue_or_summary(world: Sandbox) -> None:
    queue_scenes(world, [1])
    result = run_task(world, "process_queue", services_for(Script(outcomes={1: ["leaky"]})))
    assert result.exit_code == 0 and result.output["failed"] == 1
    token = world.plex.token
    with FailedList(data_dir_of(world)) as failed:
        assert failed.get(1).message == "token *** refused"  # type: ignore[union-attr]
    assert token not in result.stderr and token not in str(result.output)
    assert token not in (data_dir_of(world) / "last_run.json").read_text()
