"""Plex unreachable: a blocked outcome stops the run with every job queued and untouched,
opens the circuit, asks for no continuation; later runs probe Plex before touching jobs."""

from __future__ import annotations

from runtime.circuit import Circuit
from sandbox.world import Sandbox
from sync_queue.queuedb import FailedList
from tests.worker.conftest import (
    data_dir_of,
    edit_and_hook,
    our_jobs,
    queue_items,
    queue_scenes,
    run_recorded_hooks,
    run_task,
)
from tests.worker.fakes import Script, scene_events, services_for


def _untouched(world: Sandbox, ids: set[int]) -> None:
    items = queue_items(world)
    assert set(items) == ids
    for item in items.values():
        assert (item.state, item.attempts, item.waits, item.last_error_class) == (
            "queued",
            0,
            0,
            None,
        )
    with FailedList(data_dir_of(world)) as failed:
        assert failed.count() == 0


def test_blocked_leaves_every_job_queued_unfailed_and_opens_the_circuit(world: Sandbox) -> None:
    ids = set(range(1, 9))
    queue_scenes(world, sorted(ids))
    script = Script(outcomes={1: ["blocked"]}, batch_size=4)
    result = run_task(world, "process_queue", services_for(script))

    assert result.exit_code == 1  # the task says so, in one error line
    assert result.error == "Plex unreachable (fake); the queue is kept and retried on the next run"
    assert result.messages("error") == [result.error]
    assert [e["id"] for e in scene_events(data_dir_of(world))] == [1]  # the run stopped there
    _untouched(world, ids)
    circuit = Circuit(data_dir_of(world)).state()
    assert circuit.is_open and circuit.reason_class == "plex_unreachable"
    assert our_jobs(world) == []  # never continues itself while blocked
    assert any(m.startswith("Stopped: blocked") for m in result.messages("info"))

    # A hook right after: recorded, but no worker is started while the probe is fresh.
    edit_and_hook(world, 9, "edited while Plex is down")
    assert our_jobs(world) == []

    # The next run probes Plex first: still down → nothing fetched, nothing touched.
    finds = world.stash.log.count("graphql:findScenes")
    still_down = services_for(Script(health=[False]))
    result = run_task(world, "process_queue", still_down)
    assert result.exit_code == 1 and "still unreachable" in str(result.error)
    assert world.stash.log.count("graphql:findScenes") == finds
    _untouched(world, ids | {9})
    assert Circuit(data_dir_of(world)).state().failures == 2

    # Plex answers again: circuit closed, everything synced.
    result = run_task(world, "process_queue", services_for(Script(health=[True])))
    assert result.exit_code == 0 and result.output["synced"] == 9
    assert not Circuit(data_dir_of(world)).is_open()
    assert queue_items(world) == {}


def test_blocked_mid_batch_keeps_what_synced_and_releases_the_rest(world: Sandbox) -> None:
    queue_scenes(world, [1, 2, 3, 4])
    result = run_task(world, "process_queue", services_for(Script(outcomes={2: ["blocked"]})))
    assert result.exit_code == 1
    assert result.output is None
    _untouched(world, {2, 3, 4})  # 1 synced before Plex went away; it stays done


def test_a_step_raising_plex_server_down_counts_as_blocked(world: Sandbox) -> None:
    from base.errors import PlexServerDown

    queue_scenes(world, [1, 2])

    def explode(sid: int, scene: dict[str, object]) -> None:
        raise PlexServerDown("Plex unreachable: timed out")

    result = run_task(world, "process_queue", services_for(Script(), on_scene=explode))
    assert result.exit_code == 1
    assert str(result.error).startswith("Plex unreachable: timed out; the queue is kept")
    _untouched(world, {1, 2})
    assert Circuit(data_dir_of(world)).is_open()


def test_a_step_crashing_on_a_batch_retries_its_scenes_instead_of_stopping(
    world: Sandbox,
) -> None:
    queue_scenes(world, [1, 2])

    def explode(sid: int, scene: dict[str, object]) -> None:
        raise ValueError("hostile metadata")

    result = run_task(world, "process_queue", services_for(Script(), on_scene=explode))
    assert result.exit_code == 0 and result.output["retried"] == 2
    (line,) = result.messages("error")
    assert line.startswith("Processing a batch of 2 scenes failed with an unexpected error: ")
    assert "hostile metadata" in line and "ValueError" not in line  # the class: kept for debug
    items = queue_items(world)
    assert {i.last_error_class for i in items.values()} == {"unexpected"}
    assert {i.last_error for i in items.values()} == {"ValueError: hostile metadata"}
    assert not Circuit(data_dir_of(world)).is_open()


def test_hooks_wake_again_once_the_probe_interval_passed(world: Sandbox) -> None:
    circuit = Circuit(data_dir_of(world))
    circuit.open("PlexServerDown", "refused", now=0.0)  # probed long ago
    edit_and_hook(world, 1, "edited later")
    assert len(our_jobs(world, "READY")) == 1
    assert run_recorded_hooks(world) == []
