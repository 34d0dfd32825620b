"""The reconciliation tasks through the plugin harness (Stash2Plex.py in its own process, as
Stash starts it), the automatic run the worker performs, waking it, and the status section.

The library's clock is the real one here (the task process uses `time.time`), so the
`recent` window is checked with a margin for the seconds the test takes.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from plugin.invocation import parse_invocation
from reconciliation.auto import reconciliation_due, run_due_reconciliation
from reconciliation.history import reconciliation_status, status_lines
from reconciliation.scheduler import STATE_FILENAME, ReconciliationScheduler
from runtime.context import Context
from runtime.wakeup import WORKER_JOB_DESCRIPTION, WORKER_TASK_NAME, wake_if_due
from sandbox.harness import REPO_ROOT, PluginHarness
from stash.log import StashLog
from sync_queue.inbox import Inbox
from sync_queue.queuedb import get_queued_scene_ids
from tests.reconciliation.engine.conftest import WorldFactory
from tests.reconciliation.engine.world import EngineWorld, expected_gaps, expected_queue

DAY = 86400.0
MARGIN = 300.0


class StubRunner:
    """The emulator's plugin seam: knows our worker task, runs nothing (jobs stay READY)."""

    plugin_id = "Stash2Plex"

    def task_names(self) -> list[str]:
        return [WORKER_TASK_NAME]

    def run_task(self, *args: object) -> None:
        return None

    def fire_hooks(self, *args: object) -> None:
        return None

    def cancel_running(self) -> None:
        return None


@pytest.fixture
def live(worlds: WorldFactory, tmp_path: Path) -> tuple[EngineWorld, PluginHarness]:
    """A world dated now, its settings stored in Stash, a harness on a seeded data folder."""
    now = datetime.fromtimestamp(int(time.time()), tz=timezone.utc)
    world = worlds(scenes=300, seed=9, now=now)
    world.stash.plugin_runner = StubRunner()
    world.stash.run_jobs_inline = False
    with world.stash.library.lock:
        world.stash.library.plugin_settings["Stash2Plex"] = {
            "plex_url": world.plex.url,
            "plex_token": world.plex.token,
            "path_map": world.truth.path_map,
        }
    world.seed_sync_state(tmp_path)
    harness = PluginHarness(plugin_dir=REPO_ROOT, stash_url=world.stash.url, data_dir=tmp_path)
    return world, harness


def test_preview_gaps_lists_reasons_and_totals_and_queues_nothing(
    live: tuple[EngineWorld, PluginHarness], tmp_path: Path
) -> None:
    world, harness = live
    run = harness.run_task("preview_gaps")
    assert run.ok, run.stderr
    out = run.output
    assert isinstance(out, dict)
    want = expected_gaps(world.lib)
    assert out["dry_run"] is True and out["complete"] is True
    # No push recorded a desired-state fingerprint in this seeded state: no drift.
    assert out["gaps_by_type"] == {**{kind: len(ids) for kind, ids in want.items()}, "drift": 0}
    assert out["enqueued_count"] == 0
    assert out["to_enqueue_count"] == len(expected_queue(world.lib, want))
    gaps = out["gaps"]
    assert len(gaps) == 20
    for gap in gaps:
        assert set(gap) == {"scene_id", "gap_type", "path", "reason"}
        assert gap["scene_id"] in want[gap["gap_type"]]
        assert gap["reason"] and gap["path"]
    assert any("Reconciliation (all)" in line for line in run.messages("info"))
    assert run.progress and run.progress[-1] == 1.0
    assert get_queued_scene_ids(tmp_path) == set()
    assert not (tmp_path / STATE_FILENAME).exists()
    assert out["worker"] == "not needed"  # reconcile_interval is never: nothing due
    assert world.plex.token not in run.stderr + run.stdout


def test_reconcile_recent_queues_records_and_wakes_the_worker(
    live: tuple[EngineWorld, PluginHarness], tmp_path: Path
) -> None:
    world, harness = live
    run = harness.run_task("reconcile_recent")
    assert run.ok, run.stderr
    out = run.output
    assert isinstance(out, dict) and out["scope"] == "recent" and out["errors"] == []

    def window(margin: float) -> set[int]:
        cutoff = world.now - DAY + margin
        return {s.id for s in world.lib.stash.scenes.values() if s.updated_at.timestamp() >= cutoff}

    with Inbox(tmp_path) as inbox:
        queued = inbox.pending_ids("scene")
    assert queued and out["enqueued_count"] == len(queued)
    # The run started a few seconds after the library's "now": its window ends a little later.
    assert queued <= expected_queue(world.lib, expected_gaps(world.lib, window(0.0)))
    assert queued >= expected_queue(world.lib, expected_gaps(world.lib, window(MARGIN)))

    state = ReconciliationScheduler(tmp_path).load_state()
    assert (state.run_count, state.last_run_scope, state.is_startup_run) == (1, "recent", False)
    assert state.last_enqueued == len(queued)
    assert state.last_interval_run_time == state.last_run_time > 0

    assert out["worker"] == "requested"
    waiting = [job for job in world.stash.jobs if job.status == "READY"]
    assert [job.description for job in waiting] == [WORKER_JOB_DESCRIPTION]

    status = harness.run_task("status")
    assert status.ok, status.stderr
    history = status.output["reconciliation"]  # type: ignore[index]
    assert (history["run_count"], history["last_run_scope"]) == (1, "recent")
    assert history["last_enqueued"] == len(queued)
    assert any(line.startswith("Reconciliation: 1 run(s)") for line in status.messages("info"))


def _context(tmp_path: Path, world: EngineWorld) -> tuple[Context, list[str]]:
    lines: list[str] = []

    class Sink:
        def write(self, data: bytes) -> int:
            lines.append(data.decode("utf-8"))
            return len(data)

        def flush(self) -> None:
            return None

    raw = json.dumps({"server_connection": {"Port": world.stash.port}, "args": {"mode": "x"}})
    ctx = Context(
        invocation=parse_invocation(raw.encode()),
        log=StashLog(Sink()),  # type: ignore[arg-type]
        plugin_dir=REPO_ROOT,
        data_dir=tmp_path,
        settings_source=lambda ctx: {},
    )
    return ctx, lines


def test_a_due_run_is_performed_by_the_worker_and_recorded(
    mapped: EngineWorld, tmp_path: Path
) -> None:
    mapped.seed_sync_state(tmp_path)
    ctx, lines = _context(tmp_path, mapped)
    config = mapped.config(reconcile_interval="daily", reconcile_scope="all")
    start = mapped.now

    decision = run_due_reconciliation(
        ctx, config, now=start, stash_factory=lambda ctx: mapped.gateway()
    )
    assert decision is not None and decision.scope == "all" and not decision.is_startup
    state = ReconciliationScheduler(tmp_path).load_state()
    assert (state.run_count, state.last_run_scope, state.last_run_time) == (1, "all", start)
    with Inbox(tmp_path) as inbox:
        queued = inbox.pending_ids("scene")
    assert queued == expected_queue(mapped.lib, expected_gaps(mapped.lib))
    assert any("Reconciliation (all)" in line for line in lines)

    # Not due again an hour later (daily; the startup rule waits for the last run + 1 h).
    later = run_due_reconciliation(
        ctx, config, now=start + 1800, stash_factory=lambda ctx: mapped.gateway()
    )
    assert later is None
    assert ReconciliationScheduler(tmp_path).load_state().run_count == 1

    never = mapped.config(reconcile_interval="never")
    assert run_due_reconciliation(ctx, never, now=start + 9 * DAY) is None


def test_other_invocations_only_wake_the_worker_for_a_due_run(
    mapped: EngineWorld, tmp_path: Path
) -> None:
    mapped.stash.plugin_runner = StubRunner()
    mapped.stash.run_jobs_inline = False
    before = len(mapped.stash.jobs)
    ctx, _ = _context(tmp_path, mapped)
    never = reconciliation_due(ctx, mapped.config(reconcile_interval="never"))
    assert never is False
    assert wake_if_due(ctx, never, backoff=False) is None
    weekly = reconciliation_due(ctx, mapped.config(reconcile_interval="weekly"), now=mapped.now)
    assert weekly is True
    assert wake_if_due(ctx, weekly, backoff=False, now=mapped.now) == "requested"
    jobs = mapped.stash.jobs[before:]
    assert [(job.status, job.description) for job in jobs] == [("READY", WORKER_JOB_DESCRIPTION)]
    assert not (tmp_path / STATE_FILENAME).exists()  # waking is not running


def test_status_section_shows_the_history_and_the_next_run(tmp_path: Path) -> None:
    empty = reconciliation_status(tmp_path, "daily", now=1_800_000_000.0)
    assert empty["run_count"] == 0 and empty["last_run"] is None
    assert str(empty["next_due"]).startswith("now: daily reconciliation due")
    assert status_lines(empty)[0] == "Reconciliation: never run."

    result = {
        "empty_metadata_count": 4,
        "stale_sync_count": 1,
        "missing_count": 2,
        "total_gaps": 7,
        "enqueued_count": 6,
        "scenes_checked": 500,
    }
    ReconciliationScheduler(tmp_path).record_run("all", result, now=1_800_000_000.0)
    status = reconciliation_status(tmp_path, "daily", now=1_800_000_000.0 + 1800)
    assert status["run_count"] == 1
    assert status["last_run"] == "2027-01-15T08:00:00Z"
    assert status["last_gaps_by_type"] == {"empty_metadata": 4, "stale_sync": 1, "missing": 2}
    assert (status["last_enqueued"], status["last_scenes_checked"]) == (6, 500)
    assert status["next_interval_run"] == "2027-01-16T08:00:00Z"
    assert status["next_due"] == "2027-01-15T09:00:00Z"  # the startup rule comes first
    lines = status_lines(status)
    assert "7 gap(s)" in lines[0] and lines[1].startswith("Next automatic reconciliation")
    assert reconciliation_status(tmp_path, "never")["next_due"].startswith("never")  # type: ignore[union-attr]
    assert "next_due" not in reconciliation_status(tmp_path)


def test_any_task_asks_the_scheduler_and_wakes_the_worker_when_a_run_is_due(
    live: tuple[EngineWorld, PluginHarness], tmp_path: Path
) -> None:
    """SPEC §3: every invocation asks the scheduler; Clear Failed knows nothing of
    reconciliation, yet after it a due daily run has queued our worker task in Stash."""
    from validation.snapshot import write_snapshot

    world, harness = live
    write_snapshot(tmp_path, {"reconcile_interval": "daily"}, configured=True)
    run = harness.run_task("clear_failed")
    assert run.ok, run.stderr
    ready = [j for j in world.stash.jobs if j.description == WORKER_JOB_DESCRIPTION]
    assert [j.status for j in ready] == ["READY"]
    assert any("Reconciliation is due" in m for m in run.messages("info"))
    # With the default "never", the same task leaves Stash's job queue alone.
    for job in ready:
        job.status = "FINISHED"
    (tmp_path / "wake_requested").unlink(missing_ok=True)
    write_snapshot(tmp_path, {"reconcile_interval": "never"}, configured=True)
    again = harness.run_task("clear_failed")
    assert again.ok and not any("Reconciliation is due" in m for m in again.messages())
    assert [j.status for j in world.stash.jobs if j.status == "READY"] == []


def test_reconcile_all_by_hand_reads_the_full_listing_every_time(
    live: tuple[EngineWorld, PluginHarness],
) -> None:
    """Issue 15: Reconcile Library (All) run by hand trusts no incremental refresh: even with
    a fresh index, each section is listed in full (sorted `addedAt`), never `updatedAt:desc`."""
    world, harness = live
    for _ in range(2):
        world.plex.log.clear()
        run = harness.run_task("reconcile_all")
        assert run.ok, run.stderr
        listings = [
            r for r in world.plex.log.records if r.route == "GET /library/sections/{id}/all"
        ]
        assert [dict(r.query).get("sort") for r in listings] == ["addedAt"] * len(
            world.lib.plex.sections
        )
