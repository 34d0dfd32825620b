"""The hook path wired to the inbox and the wake-up rule: single edits, bulk edits (input
order, first-hook rule), destroys, Stash unreachable; and a 1,000-scene bulk edit through
the Stash emulator with real hook processes, killed after the 100th."""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

from sandbox.generator import GeneratorOptions
from sandbox.harness import REPO_ROOT
from sandbox.world import Sandbox, start_sandbox
from sync_queue.inbox import Inbox
from tests.worker.conftest import (
    data_dir_of,
    our_jobs,
    run_inproc,
    run_recorded_hooks,
    split_runner,
    stash_query,
)
from validation.snapshot import write_snapshot

BULK = "mutation Bulk($input: BulkSceneUpdateInput!) { bulkSceneUpdate(input: $input) { id } }"


def _rows(world: Sandbox) -> list[tuple[str, int, int]]:
    with Inbox(data_dir_of(world)) as inbox:
        return [(r.kind, r.ref_id, r.version) for r in inbox.rows()]


def test_a_bulk_edit_is_recorded_by_its_first_hook_in_input_order(world: Sandbox) -> None:
    ids = ["9", "3", "7"]
    stash_query(world, BULK, {"input": {"ids": ids, "organized": True}})
    runs = run_recorded_hooks(world)
    assert [r.output["scene_ids"] for r in runs] == [[9, 3, 7], [3, 9, 7], [7, 9, 3]]
    assert all(r.exit_code == 0 and r.messages("warning") == [] for r in runs)
    # The first hook recorded all three; the later ones found nothing new (no re-write).
    assert _rows(world) == [("scene", 9, 0), ("scene", 3, 0), ("scene", 7, 0)]
    assert len(our_jobs(world, "READY")) == 1


def test_create_update_and_destroy_hooks(world: Sandbox) -> None:
    hook = world.harness.hook_args
    created = run_inproc(world, hook("Scene.Create.Post", 31))
    updated = run_inproc(world, hook("Scene.Update.Post", 5, {"id": "5", "title": "x"}, ["id"]))
    destroyed = run_inproc(world, hook("Scene.Destroy.Post", 31, {"id": "31"}))
    assert [r.exit_code for r in (created, updated, destroyed)] == [0, 0, 0]
    assert [(kind, ref) for kind, ref, _ in _rows(world)] == [
        ("scene", 5),
        ("scene_destroy", 31),
    ]


def test_stash_unreachable_the_edit_is_recorded_one_warning_exit_0(world: Sandbox) -> None:
    world.stash.go_down()
    try:
        run = run_inproc(world, world.harness.hook_args("Scene.Update.Post", 4, {"id": "4"}))
    finally:
        world.stash.come_up()
    assert run.exit_code == 0 and run.error is None
    assert len(run.messages("warning")) == 1
    assert run.messages("warning")[0].startswith("Could not start 'Stash2Plex: Process Queue'")
    assert [(kind, ref) for kind, ref, _ in _rows(world)] == [("scene", 4)]


def test_a_fresh_marker_costs_no_request(world: Sandbox) -> None:
    hook = world.harness.hook_args
    run_inproc(world, hook("Scene.Update.Post", 1, {"id": "1"}))
    before = world.stash.log.count("graphql:jobQueue")
    for sid in (2, 3, 4):
        run_inproc(world, hook("Scene.Update.Post", sid, {"id": str(sid)}))
    assert world.stash.log.count("graphql:jobQueue") == before
    assert len(our_jobs(world)) == 1


def test_due_reconciliation_wakes_the_worker_even_with_nothing_recorded(world: Sandbox) -> None:
    from plugin.hooks import due_after_recording
    from plugin.invocation import parse_invocation
    from runtime.context import Context
    from runtime.wakeup import wake_if_due
    from stash.log import StashLog
    from validation.snapshot import read_snapshot

    data_dir = data_dir_of(world)
    stdin = world.harness.stdin_payload(world.harness.hook_args("Scene.Update.Post", 1))
    ctx = Context(parse_invocation(stdin), StashLog(io.BytesIO()), REPO_ROOT, data_dir, dict)

    # A later hook of a bulk whose rows the worker already took: nothing is due in the
    # inbox, so only the scheduler can say "wake up".
    def wake() -> str | None:
        now = time.time()
        snapshot = read_snapshot(data_dir)
        due = due_after_recording(ctx, snapshot, Inbox(data_dir), now)
        return wake_if_due(ctx, due, backoff=True, snapshot=snapshot, now=now)

    write_snapshot(data_dir, {"reconcile_interval": "never"}, configured=True)
    assert wake() is None
    write_snapshot(data_dir, {"reconcile_interval": "daily"}, configured=True)
    assert wake() == "requested"
    assert len(our_jobs(world, "READY")) == 1


def test_bulk_of_1000_through_stash_recorded_even_when_hooks_after_the_100th_die(
    tmp_path: Path,
) -> None:
    world = start_sandbox(
        GeneratorOptions(scenes=1000), data_dir=tmp_path / "data", run_jobs_inline=False
    )
    try:
        data_dir = data_dir_of(world)
        data_dir.mkdir()
        write_snapshot(data_dir, {}, configured=True)  # set up: hooks wake the worker
        runner = split_runner(world, {}, kill_hooks_after=100)
        ids = [str(i) for i in range(1, 1001)]
        random.Random(3).shuffle(ids)
        stash_query(world, BULK, {"input": {"ids": ids, "rating100": 40}})

        assert (runner.hooks_started, runner.hooks_killed, runner.hooks_skipped) == (1000, 1, 899)
        runs = runner.results("Scene.Update.Post")
        assert len(runs) == 101
        assert all(r.exit_code == 0 for r in runs[:100]) and runs[100].killed
        stderr = "\n".join(r.stderr for r in runs)
        assert "database is locked" not in stderr and "Traceback" not in stderr
        with Inbox(data_dir) as inbox:
            rows = inbox.rows()
        assert sorted(r.ref_id for r in rows) == list(range(1, 1001))
        assert [str(r.ref_id) for r in rows] == ids  # in the user's order
        assert {r.version for r in rows} == {0}  # later hooks wrote nothing
        # One wake-up for the whole bulk: the first hook asked, the others saw the marker.
        assert len(our_jobs(world, "READY")) == 1
        assert world.stash.log.count("graphql:runPluginTask") == 1
    finally:
        world.stop()
