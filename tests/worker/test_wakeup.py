"""The wake-up rule against the Stash emulator's job queue: marker fresh or stale, our job
READY or RUNNING, someone else's job, Stash down or hanging; and what blocks waking."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from plugin.invocation import parse_invocation
from runtime import wakeup
from runtime.circuit import Circuit
from runtime.context import Context
from sandbox.harness import REPO_ROOT
from sandbox.httpd import Fault
from sandbox.world import Sandbox
from stash.log import StashLog
from tests.worker.conftest import InertRunner, data_dir_of, our_jobs, stash_query
from validation.snapshot import Snapshot, write_snapshot

T0 = 1_800_000_000.0


def _wake(world: Sandbox, now: float = T0, **kw: object) -> tuple[str, list[str]]:
    stream = io.BytesIO()
    log = StashLog(stream)  # type: ignore[arg-type]
    result = wakeup.wake_worker(
        data_dir_of(world), world.harness.server_connection(), log, now=now, **kw
    )
    lines = [line for line in stream.getvalue().decode().splitlines() if line]
    return result, lines


def _calls(world: Sandbox) -> tuple[int, int]:
    return world.stash.log.count("graphql:jobQueue"), world.stash.log.count("graphql:runPluginTask")


def test_no_marker_no_job_requests_process_queue_and_writes_the_marker(world: Sandbox) -> None:
    result, lines = _wake(world)
    assert result == wakeup.REQUESTED and lines == []
    assert _calls(world) == (1, 1)
    (job,) = our_jobs(world)
    assert job.status == "READY" and job.description == wakeup.WORKER_JOB_DESCRIPTION
    assert wakeup.read_marker(data_dir_of(world)) == ("requested", T0)


def test_a_fresh_marker_spares_both_calls_a_stale_one_is_verified(world: Sandbox) -> None:
    _wake(world)
    assert _wake(world, T0 + 60)[0] == wakeup.PENDING
    assert _calls(world) == (1, 1)
    # Older than the TTL: ask Stash; our job still waits, so nothing new is requested and
    # the marker is refreshed.
    later = T0 + wakeup.MARKER_TTL_S + 1
    assert _wake(world, later)[0] == wakeup.ALREADY_QUEUED
    assert _calls(world) == (2, 1) and len(our_jobs(world)) == 1
    assert wakeup.read_marker(data_dir_of(world)) == ("requested", later)


def test_a_running_job_of_ours_does_not_count(world: Sandbox) -> None:
    runner = world.stash.plugin_runner
    assert isinstance(runner, InertRunner)
    runner.release.clear()
    _wake(world)
    worker = threading.Thread(target=world.stash.run_next_job)
    worker.start()
    try:
        assert runner.started.wait(10)
        assert [j.status for j in our_jobs(world)] == ["RUNNING"]
        wakeup.clear_marker(data_dir_of(world))  # what the worker does when it starts
        assert _wake(world)[0] == wakeup.REQUESTED
        assert sorted(j.status for j in our_jobs(world)) == ["READY", "RUNNING"]
    finally:
        runner.release.set()
        worker.join(10)


def test_other_jobs_do_not_count(world: Sandbox) -> None:
    world.stash.plugin_runner.plugin_id = "Stash2Plex"  # type: ignore[union-attr]
    stash_query(
        world,
        'mutation { runPluginTask(plugin_id: "Stash2Plex", task_name: "View Status") }',
    )
    assert _wake(world)[0] == wakeup.REQUESTED
    assert len(our_jobs(world, "READY")) == 1


def test_stash_down_one_warning_then_backoff(world: Sandbox) -> None:
    world.stash.go_down()
    try:
        result, lines = _wake(world)
        assert result == wakeup.UNREACHABLE
        assert len(lines) == 1 and lines[0].startswith("\x01w\x02Could not start")
        assert "connection refused" in lines[0] and "stays recorded" in lines[0]
        assert wakeup.read_marker(data_dir_of(world)) == ("failed", T0)
        assert _wake(world, T0 + 5) == (wakeup.BACKOFF, [])
    finally:
        world.stash.come_up()
    after = T0 + wakeup.FAILURE_BACKOFF_S + 1
    assert _wake(world, after)[0] == wakeup.REQUESTED


def test_a_hanging_stash_costs_at_most_the_timeout(world: Sandbox) -> None:
    import time

    world.stash.knobs.add_fault(Fault(action="hang", path_regex=r"/graphql", hang_s=2.0))
    started = time.monotonic()
    result, lines = _wake(world, timeout=0.5)
    assert result == wakeup.UNREACHABLE and len(lines) == 1
    assert time.monotonic() - started < 2.0


def test_the_worker_ignores_the_marker(world: Sandbox) -> None:
    _wake(world)
    assert _wake(world, use_marker=False)[0] == wakeup.ALREADY_QUEUED
    assert _calls(world) == (2, 1)


@pytest.mark.parametrize(
    ("snapshot", "circuit_probe", "expected"),
    [
        (Snapshot({}), None, None),  # never configured yet: the worker writes the snapshot
        (Snapshot({}, written_at=T0, configured=False), None, "Plex is not set up"),
        (Snapshot({"paused": True}, written_at=T0, configured=True), None, "paused"),
        (Snapshot({}, written_at=T0, configured=True), T0 - 10, "circuit open"),
        (Snapshot({}, written_at=T0, configured=True), T0 - 61, None),
    ],
)
def test_wake_blocker(
    tmp_path: Path, snapshot: Snapshot, circuit_probe: float | None, expected: str | None
) -> None:
    if circuit_probe is not None:
        Circuit(tmp_path).open("PlexServerDown", "refused", now=circuit_probe)
    assert wakeup.wake_blocker(tmp_path, snapshot, T0) == expected


def test_an_unreadable_marker_means_ask(tmp_path: Path) -> None:
    (tmp_path / wakeup.MARKER_FILE).write_text("garbage")
    assert wakeup.read_marker(tmp_path) is None
    wakeup.write_marker(tmp_path, "requested", 12.5)
    assert wakeup.read_marker(tmp_path) == ("requested", 12.5)
    wakeup.clear_marker(tmp_path)
    wakeup.clear_marker(tmp_path)
    assert wakeup.read_marker(tmp_path) is None


@pytest.mark.parametrize("mode", ["retry_failed", "status"])
def test_a_task_leaving_work_asks_stash_even_right_after_a_failed_request(
    world: Sandbox, mode: str
) -> None:
    """A hook's failed request leaves a 30 s backoff marker; a task runs only when Stash
    answers, so Retry Failed and View Status still start the worker (regression: they said
    "backoff" and the work waited for some later invocation)."""
    import time

    from sync_queue.queuedb import FailedList
    from tests.worker.conftest import queue_scenes, run_task

    data_dir = data_dir_of(world)
    if mode == "retry_failed":
        with FailedList(data_dir) as failed:
            failed.add(3, "PlexBadRequest", "400", attempts=1)
    else:
        queue_scenes(world, [3])  # due work View Status finds
    wakeup.write_marker(data_dir, "failed", time.time())

    run = run_task(world, mode)

    assert run.exit_code == 0
    wake = run.output["wake"] if mode == "retry_failed" else run.output["queue"]["wake"]
    assert wake == wakeup.REQUESTED
    assert len(our_jobs(world, "READY")) == 1


# -- wake_if_due: the one entry every hook and task uses ---------------------------------------


def _context(world: Sandbox) -> Context:
    stdin = world.harness.stdin_payload({"mode": "status"})
    log = StashLog(io.BytesIO())  # type: ignore[arg-type]
    return Context(parse_invocation(stdin), log, REPO_ROOT, data_dir_of(world), dict)


def test_wake_if_due_asks_nothing_when_nothing_is_due(world: Sandbox) -> None:
    assert wakeup.wake_if_due(_context(world), False, backoff=True, now=T0) is None
    assert _calls(world) == (0, 0)
    assert wakeup.read_marker(data_dir_of(world)) is None


def test_wake_if_due_reports_a_blocker_as_not_started(world: Sandbox) -> None:
    data_dir = data_dir_of(world)
    write_snapshot(data_dir, {"paused": True}, configured=True)
    ctx = _context(world)
    assert wakeup.wake_if_due(ctx, True, backoff=False, now=T0) == "not started: paused"
    # The caller's snapshot wins over the file (hooks pass the one they already read).
    open_snapshot = Snapshot({}, written_at=T0, configured=True)
    assert wakeup.wake_if_due(ctx, True, backoff=False, snapshot=open_snapshot, now=T0) == (
        wakeup.REQUESTED
    )
    assert _calls(world) == (1, 1) and len(our_jobs(world, "READY")) == 1


def test_wake_if_due_judges_the_circuit_at_the_callers_now(world: Sandbox) -> None:
    Circuit(data_dir_of(world)).open("PlexServerDown", "refused", now=T0 - 10)
    ctx = _context(world)
    snapshot = Snapshot({}, written_at=T0, configured=True)
    blocked = wakeup.wake_if_due(ctx, True, backoff=True, snapshot=snapshot, now=T0)
    assert blocked == "not started: circuit open"
    assert _calls(world) == (0, 0)
    later = wakeup.wake_if_due(ctx, True, backoff=True, snapshot=snapshot, now=T0 + 61)
    assert later == wakeup.REQUESTED
    assert wakeup.read_marker(data_dir_of(world)) == ("requested", T0 + 61)


@pytest.mark.parametrize(("backoff", "expected"), [(True, wakeup.BACKOFF), (False, "requested")])
def test_wake_if_due_backoff_is_honoured_by_hooks_and_ignored_by_tasks(
    world: Sandbox, backoff: bool, expected: str
) -> None:
    """A request failed 5 s ago: a hook (backoff=True) leaves Stash alone; a task
    (backoff=False) asks anyway and clears the failure."""
    data_dir = data_dir_of(world)
    wakeup.write_marker(data_dir, "failed", T0 - 5)
    snapshot = Snapshot({}, written_at=T0, configured=True)
    result = wakeup.wake_if_due(_context(world), True, backoff=backoff, snapshot=snapshot, now=T0)
    assert result == expected
    asked = (1, 1) if expected == wakeup.REQUESTED else (0, 0)
    assert _calls(world) == asked
    marker = ("failed", T0 - 5) if backoff else ("requested", T0)
    assert wakeup.read_marker(data_dir) == marker


def test_a_job_stash_failed_is_said_once_when_the_marker_goes_stale(world: Sandbox) -> None:
    # Stash knows this plugin under another id: it accepts runPluginTask("Stash2Plex", ...)
    # and fails the job only when it runs (internal/manager/task_plugin.go).
    world.stash.plugin_runner.plugin_id = "s2p"  # type: ignore[union-attr]
    assert _wake(world) == (wakeup.REQUESTED, [])
    (job,) = our_jobs(world)
    assert wakeup.read_marker_job(data_dir_of(world)) == str(job.id)
    world.stash.run_next_job()
    assert job.status == "FAILED"
    assert _wake(world, T0 + 60)[0] == wakeup.PENDING  # a fresh marker still asks nothing
    assert world.stash.log.count("graphql:findJob") == 0

    stale = T0 + wakeup.MARKER_TTL_S + 1
    result, lines = _wake(world, stale)
    assert result == wakeup.JOB_FAILED
    assert lines == ["\x01w\x02" + wakeup.failed_job_line(str(job.id))]
    assert f"job {job.id} failed" in lines[0] and "manifest" in lines[0] and len(lines[0]) < 320
    assert _calls(world) == (1, 1) and world.stash.log.count("graphql:findJob") == 1
    assert _wake(world, stale + 5) == (wakeup.BACKOFF, [])  # said once, not per hook


def test_a_stale_marker_whose_job_still_waits_keeps_the_job_id(world: Sandbox) -> None:
    _wake(world)
    (job,) = our_jobs(world)
    assert _wake(world, T0 + wakeup.MARKER_TTL_S + 1)[0] == wakeup.ALREADY_QUEUED
    assert wakeup.read_marker_job(data_dir_of(world)) == str(job.id)
    assert world.stash.log.count("graphql:findJob") == 1 and _calls(world) == (2, 1)


def test_the_job_id_goes_only_into_the_marker_this_request_wrote(world: Sandbox) -> None:
    # The worker deletes the marker when it starts; the hook that asked must not restore it
    # (lost-wakeup rule), nor overwrite a newer request's marker.
    data_dir = data_dir_of(world)
    wakeup._note_job(data_dir, T0, "5")
    assert wakeup.read_marker(data_dir) is None
    wakeup.write_marker(data_dir, "requested", T0 + 1)
    wakeup._note_job(data_dir, T0, "5")
    assert wakeup.read_marker_job(data_dir) is None
    wakeup._note_job(data_dir, T0 + 1, "6")
    assert wakeup.read_marker(data_dir) == ("requested", T0 + 1)
    assert wakeup.read_marker_job(data_dir) == "6"


def test_a_failed_job_that_is_not_ours_is_not_reported(world: Sandbox) -> None:
    # Stash restarted and reused the id: the job the marker names is now someone else's.
    world.stash.plugin_runner.plugin_id = "Stash2Plex"  # type: ignore[union-attr]
    stash_query(world, 'mutation { runPluginTask(plugin_id: "Other", task_name: "Scan") }')
    world.stash.run_next_job()
    (other,) = [j for j in world.stash.jobs if j.status == "FAILED"]
    wakeup.write_marker(data_dir_of(world), "requested", T0, str(other.id))
    result, lines = _wake(world, T0 + wakeup.MARKER_TTL_S + 1)
    assert (result, lines) == (wakeup.REQUESTED, [])
    assert world.stash.log.count("graphql:findJob") == 1
