"""Changes that fire no hook reach Plex (issue 14): a scan with Auto Tag queued while it runs,
Auto Tag run later, a scene merge; the catch-up's cost when nothing changed; and the extra
run after other jobs never loops.

A small synced world (`tests/entities/world.py`: every scene matched, covers off) whose
Stash job queue is driven by hand (`run_until_idle`: first in, first out, one job at a time,
as Stash's `pkg/job/manager.go`). Our tasks and hooks run as Stash runs them: the real
Stash2Plex.py through the harness; only the set-up's Sync All and the request-count run are
in this process. The emulator's clock moves one second per reading, so every change gets its
own `updated_at` second (Stash stores whole seconds).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from base.errors import StashUnavailable
from demo.check import check_library, item_problems
from reconciliation.engine import GapDetectionEngine
from runtime.wakeup import WORKER_JOB_DESCRIPTION
from sandbox.model import StashPerformer, StashTag
from sandbox.stash_emu.library_jobs import AUTO_TAG_DESCRIPTION
from stash.client import StashGateway
from sync_queue.inbox import Inbox
from sync_queue.sync_state import SyncStateStore
from tests.entities.world import EntityWorld, start_entity_world
from validation.config import Stash2PlexConfig
from worker import catchup

PERFORMER, TAG = 9101, 9102
PERFORMER_NAME, TAG_NAME = "Zorblax Quint", "Qwertyuiop"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[EntityWorld]:
    world = start_entity_world(
        tmp_path / "data", scenes=6, seed=14, skip_poster=True, skip_background=True
    )
    base = datetime.now(timezone.utc).replace(microsecond=0)
    ticks = iter(range(10**9))
    world.stash.set_clock(lambda: base + timedelta(seconds=next(ticks)))
    try:
        yield world
    finally:
        world.stop()


def _new_files(world: EntityWorld, count: int) -> list[dict[str, object]]:
    """Specs of new scenes whose files Plex already lists (in the folder of scene 1's file),
    named after the performer and the tag Auto Tag will find."""
    truth = world.truth
    sid = min(truth.scenes)
    section, rating_key = truth.scenes[sid].targets[0]
    stash_dir = posixpath.dirname(world.library.scenes[sid].files[0].path)
    plex_dir = posixpath.dirname(world.plex.item(rating_key).files()[0])
    specs: list[dict[str, object]] = []
    for n in range(count):
        name = f"{PERFORMER_NAME} - {TAG_NAME.lower()} night {n}.mp4"
        world.plex.add_item(section, [posixpath.join(plex_dir, name)])
        specs.append({"paths": [posixpath.join(stash_dir, name)]})
    return specs


def _add_entities(world: EntityWorld) -> None:
    world.stash.add_performer(StashPerformer(PERFORMER, PERFORMER_NAME))
    world.stash.add_tag(StashTag(TAG, TAG_NAME))


def _problems(world: EntityWorld, scene_ids: list[int]) -> list[str]:
    """How the Plex items of `scene_ids` (found by their file) differ from the scenes."""
    problems: list[str] = []
    items = list(world.plex.library.items.values())
    for sid in scene_ids:
        path = world.library.scenes[sid].files[0].path
        name = posixpath.basename(path)
        (item,) = [i for i in items if any(f.endswith("/" + name) for f in i.files())]
        problems += item_problems(item, world.sandbox.generated, sid, images=False)
    return problems


def _our_runs(world: EntityWorld) -> list[object]:
    return [j for j in world.stash.jobs if j.description == WORKER_JOB_DESCRIPTION]


def test_auto_tag_queued_during_a_scan_reaches_plex_once_the_queue_drains(
    world: EntityWorld,
) -> None:
    _add_entities(world)
    specs = _new_files(world, 3)
    queued: list[object] = []

    def user_clicks_auto_tag(scene_id: int) -> None:
        if not queued:  # while the scan runs, after its first new scene's hook
            queued.append(world.stash.queue_auto_tag())

    scan = world.stash.queue_scan(specs, after_each=user_clicks_auto_tag)
    ran = world.stash.run_until_idle()

    new_ids = sorted(sid for sid in world.library.scenes if sid > 6)
    assert len(new_ids) == 3
    # The scan's hooks queued our run before Auto Tag; that run asked for one more behind it.
    order = [j.description for j in ran]
    assert order == [
        scan.description,
        WORKER_JOB_DESCRIPTION,
        AUTO_TAG_DESCRIPTION,
        WORKER_JOB_DESCRIPTION,
    ]
    for sid in new_ids:
        scene = world.library.scenes[sid]
        assert PERFORMER in scene.performer_ids and TAG in scene.tag_ids
    # Every scene is in step: the new ones, and the generated ones Auto Tag also tagged
    # (their paths hold names of the generated performers, tags and studios).
    assert _problems(world, new_ids) == []
    assert check_library(world.sandbox.generated, world.plex.library, images=False).ok
    first, second = (r.output for r in world.sandbox.runner.results("Stash2Plex: Process Queue"))
    assert first["after_others"] == "requested" and not first["after_others_run"]
    assert second["after_others_run"] and second["caught_up"] >= 3
    assert second["caught_up_synced"] == second["caught_up"] and second["after_others"] == ""


def test_auto_tag_run_later_is_in_step_after_the_next_hook_of_any_scene(
    world: EntityWorld,
) -> None:
    specs = _new_files(world, 2)
    world.stash.queue_scan(specs)
    world.stash.run_until_idle()
    new_ids = sorted(sid for sid in world.library.scenes if sid > 6)
    runs = len(_our_runs(world))

    # An hour later: the performer and tag exist now; Auto Tag runs with nothing of ours.
    _add_entities(world)
    assert [j.description for j in world.stash.run_until_idle()] == []
    world.stash.queue_auto_tag()
    assert [j.description for j in world.stash.run_until_idle()] == [AUTO_TAG_DESCRIPTION]
    assert len(_our_runs(world)) == runs and _problems(world, new_ids) != []

    # Any scene's hook: an edit of scene 2.
    world.graphql(
        "mutation($id: ID!) { sceneUpdate(input: {id: $id, rating100: 80}) { id } }",
        {"id": "2"},
    )
    assert [j.description for j in world.stash.run_until_idle()] == [WORKER_JOB_DESCRIPTION]
    assert _problems(world, [*new_ids, 2]) == []


def test_auto_tag_run_later_is_in_step_after_view_status_and_not_after_health_check(
    world: EntityWorld,
) -> None:
    world.stash.queue_scan(_new_files(world, 2))
    world.stash.run_until_idle()
    new_ids = sorted(sid for sid in world.library.scenes if sid > 6)
    _add_entities(world)
    world.stash.queue_auto_tag()
    assert [j.description for j in world.stash.run_until_idle()] == [AUTO_TAG_DESCRIPTION]
    assert _problems(world, new_ids) != []

    # Health Check changes nothing, so it neither queues nor wakes.
    health = world.run_task("health_check")
    assert health.exit_code == 0, health.error
    assert world.stash.run_until_idle() == [] and _problems(world, new_ids) != []

    # View Status, a maintenance task: its catch-up queues them and wakes Process Queue.
    status = world.run_task("status")
    assert status.exit_code == 0, status.error
    assert [j.description for j in world.stash.run_until_idle()] == [WORKER_JOB_DESCRIPTION]
    assert _problems(world, new_ids) == []


def test_a_scene_merge_syncs_its_target_and_reconcile_all_forgets_its_sources(
    world: EntityWorld,
) -> None:
    target, source = 1, 3
    with SyncStateStore(world.data_dir) as store:
        assert store.get(source) is not None
    files = [f.path for sid in (target, source) for f in world.library.scenes[sid].files]
    answer = world.graphql(
        "mutation($s: [ID!]!, $d: ID!) { sceneMerge(input: {source: $s, destination: $d,"
        ' values: {id: $d, title: "Merged Evening"}}) { id title files { path } } }',
        {"s": [str(source)], "d": str(target)},
    )
    assert answer["sceneMerge"]["title"] == "Merged Evening"
    assert [f["path"] for f in answer["sceneMerge"]["files"]] == files  # target's first
    assert source not in world.library.scenes
    assert world.stash.hook_log == [] and world.stash.jobs == []  # no hook at all

    reconcile = world.run_task("reconcile_all")
    assert reconcile.exit_code == 0, reconcile.error
    assert reconcile.output["forgotten_count"] == 1
    assert [j.description for j in world.stash.run_until_idle()] == [WORKER_JOB_DESCRIPTION]
    with SyncStateStore(world.data_dir) as store:
        assert store.get(source) is None and store.get(target) is not None
    problems = []
    for _, rating_key in world.truth.scenes[target].targets:
        item = world.plex.item(rating_key)
        problems += item_problems(item, world.sandbox.generated, target, images=False)
    assert problems == []


def test_the_catch_up_costs_one_request_when_nothing_changed(world: EntityWorld) -> None:
    world.stash.log.clear()
    result = world.run_task("process_queue")
    assert result.exit_code == 0, result.error
    assert result.output["catch_up_requests"] == 1 and result.output["caught_up"] == 0
    # One findScenes page for the catch-up; one jobQueue look for other waiting jobs (none:
    # no runPluginTask); the version and settings reads every task makes.
    assert world.stash.log.count("graphql:findScenes") == 1
    assert world.stash.log.count("graphql:jobQueue") == 1
    assert world.stash.log.count("graphql:runPluginTask") == 0


def test_the_catch_up_reads_one_more_page_per_page_of_scenes_within_the_margin(
    world: EntityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catchup, "CATCH_UP_PAGE", 2)
    now = world.stash.stored_now()
    with world.library.lock:
        for scene in world.library.scenes.values():
            scene.updated_at = now  # six scenes in the same second: three pages of two
    world.stash.log.clear()
    result = world.run_task("process_queue")
    assert result.output["catch_up_requests"] == 3 and result.output["caught_up"] == 6
    assert world.stash.log.count("graphql:findScenes") == 3 + 1  # + the batch fetch
    again = world.run_task("process_queue")
    assert again.output["catch_up_requests"] == 3 and again.output["caught_up"] == 0


def test_an_always_waiting_other_job_does_not_make_us_loop(world: EntityWorld) -> None:
    rounds: list[int] = []

    def other_job(progress: object) -> None:
        # Another plugin's periodic job: it queues itself again each time it runs (30
        # times), so something not ours waits whenever our run ends.
        rounds.append(1)
        if len(rounds) < 30:
            world.stash.state.jobs.add_internal("Running plugin task: Other: Poll", other_job)

    world.stash.state.jobs.add_internal("Running plugin task: Other: Poll", other_job)
    world.graphql(
        "mutation($id: ID!) { sceneUpdate(input: {id: $id, rating100: 40}) { id } }",
        {"id": "4"},
    )
    world.stash.run_until_idle(limit=100)
    assert len(rounds) == 30
    # The hook's run, and the one it asked for behind the other job; that one caught up
    # nothing, so it asked for no more.
    outputs = [r.output for r in world.sandbox.runner.results("Stash2Plex: Process Queue")]
    assert len(outputs) == 2
    assert outputs[0]["after_others"] == "requested" and outputs[1]["after_others_run"]
    assert outputs[1]["after_others"] == ""


class _FailingGateway:
    """The real gateway, except that `find_scenes` raises on the call `fail_on` picks (a
    Stash error mid-walk, or while checking the candidates)."""

    def __init__(self, world: EntityWorld, fail_on: Callable[[int, dict[str, Any]], bool]):
        self._gateway = StashGateway.from_server_connection(world.stash.connection())
        self._fail_on = fail_on
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def find_scenes(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self._fail_on(self.calls, kwargs):
            raise StashUnavailable("Stash unreachable: connection refused")
        return self._gateway.find_scenes(**kwargs)


def test_reconcile_all_forgets_nothing_after_a_partial_walk_or_a_failed_check(
    world: EntityWorld,
) -> None:
    gone = 3
    with world.library.lock:
        del world.library.scenes[gone]  # deleted without any hook, like a merge's source
    config = Stash2PlexConfig(
        plex_url=world.plex.url, plex_token=world.plex.token, path_map=world.truth.path_map
    )

    def run(stash: Any) -> Any:
        with Inbox(world.data_dir) as inbox:
            engine = GapDetectionEngine(stash, config, world.data_dir, queue=inbox, page_size=2)
            return engine.run("all")

    def destroys() -> set[int]:
        with Inbox(world.data_dir) as inbox:
            return inbox.pending_ids("scene_destroy")

    partial = run(_FailingGateway(world, lambda n, kw: n == 2))  # the walk's second page
    assert partial.errors and partial.forgotten_count == 0 and destroys() == set()
    check = run(_FailingGateway(world, lambda n, kw: kw.get("fragment") == "id"))
    assert check.errors and check.forgotten_count == 0 and destroys() == set()
    whole = run(_FailingGateway(world, lambda n, kw: False))
    assert whole.errors == [] and whole.forgotten_count == 1 and destroys() == {gone}
    # The worker applies it like a Scene.Destroy.Post: the sync-state row is gone.
    assert world.run_task("process_queue").output["destroyed"] == 1
    with SyncStateStore(world.data_dir) as store:
        assert store.get(gone) is None and store.count() == 5
