"""Upgrade in place from Stash2Plex 1.x (issue 17): its data folder, in its formats, then the
first task as Stash runs it; afterwards nothing of it is lost.

Also with `$STASH_PLUGIN_DATA` (where 1.x kept its data when set) and with SIGKILLs at every
step of the takeover (a real child process killed at each checkpoint in turn, each run
resuming what the previous one left), which must end in the same state.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.check import check_library, problem_scenes
from reconciliation.history import reconciliation_status
from sandbox.generator import GeneratorOptions
from sandbox.harness import REPO_ROOT
from sandbox.world import Sandbox, start_sandbox
from sync_queue.queuedb import FailedList
from sync_queue.sync_state import load_sync_timestamps
from tasks.takeover import MARKER_FILE
from tests.upgrade.legacy_data import (
    DEAD_EPOCH,
    DEVICE_ID,
    OLD_SETTINGS,
    RECONCILIATION,
    OldData,
    write_old_data,
)

# 30 scenes (seed 1): these matchable scenes are out of step in Plex before the run.
OLD = OldData(
    pending=[4, 5, 6, 8, 9],
    in_flight=[10, 12],
    acked=[13],
    dead=[17, 20],
    timestamps={1: 1_700_000_001.0, 2: 1_700_000_002.0},
)
STEPS = (
    "queue",
    "timestamps",
    "reconciliation",
    "device_id",
    "marked",
    "renamed queue",
    "renamed dlq.db",
    "renamed sync_timestamps.json",
    "renamed device_id.json",
)
RETIRED_LINE = "Settings kept from Stash2Plex 1.x that this version does not use: max_tags"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = start_sandbox(GeneratorOptions(scenes=30), data_dir=tmp_path / "data")
    sandbox.configure_plugin(**OLD_SETTINGS)
    yield sandbox
    sandbox.stop()


def out_of_step(world: Sandbox) -> set[int]:
    with world.plex.library.lock:
        return problem_scenes(check_library(world.generated, world.plex.library).problems)


def first_task(world: Sandbox) -> str:
    assert OLD.queued <= out_of_step(world)  # the run has something to do
    run = world.harness.run_task("process_queue")
    assert run.exit_code == 0, run.stderr[-3000:]
    return run.stderr


def assert_taken_over(world: Sandbox, data_dir: Path, stderr: str) -> None:
    # every queued scene, pending or in flight, is in step; an acked one was finished work
    left = out_of_step(world)
    assert not OLD.queued & left and set(OLD.acked) <= left
    with FailedList(data_dir) as failed:
        entries = {e.scene_id: e for e in failed.list()}
    assert set(entries) == set(OLD.dead)
    for sid in OLD.dead:
        entry = entries[sid]
        assert (entry.reason_class, entry.message) == (
            "PermanentError",
            f"No Plex match for scene {sid}",
        )
        assert entry.first_failed_at == entry.last_failed_at == DEAD_EPOCH
    identifiers = {r.headers.get("X-Plex-Client-Identifier") for r in world.plex.log.records}
    assert identifiers == {DEVICE_ID}
    assert (data_dir / "plex_client_id").read_text() == DEVICE_ID
    history = reconciliation_status(data_dir)
    assert history["run_count"] == RECONCILIATION["run_count"]
    assert history["last_run_scope"] == RECONCILIATION["last_run_scope"]
    assert history["last_gaps_by_type"] == RECONCILIATION["last_gaps_by_type"]
    stored = json.loads((data_dir / "reconciliation_state.json").read_text())
    assert stored["last_interval_run_time"] == RECONCILIATION["last_run_time"]  # ours, added
    timestamps = load_sync_timestamps(data_dir)
    assert {k: timestamps[k] for k in OLD.timestamps} == OLD.timestamps
    for name in ("queue", "dlq.db", "sync_timestamps.json", "device_id.json"):
        assert not (data_dir / name).exists() and (data_dir / f"{name}.migrated").exists(), name
    for name in ("circuit_breaker.json", "stats.json", "match_cache", "reconciliation_state.json"):
        assert (data_dir / name).exists(), name
    assert stderr.count("Took over Stash2Plex 1.x's data") == 1
    assert "2 failed" in stderr and "7 queued scenes" in stderr
    assert stderr.count(RETIRED_LINE) == 1 and "unknown to this version" not in stderr


def test_the_first_task_takes_over_everything_of_1x(world: Sandbox, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_old_data(data_dir, OLD)
    stderr = first_task(world)
    assert_taken_over(world, data_dir, stderr)
    again = world.harness.run_task("process_queue")  # nothing twice: no line, no new entry
    assert again.exit_code == 0
    assert "Took over" not in again.stderr and RETIRED_LINE not in again.stderr
    assert_taken_over(world, data_dir, stderr)


def test_stash_plugin_data_is_where_1x_data_is_found_and_ours_kept(
    world: Sandbox, tmp_path: Path
) -> None:
    data_dir = tmp_path / "plugin-data"
    write_old_data(data_dir, OLD)
    world.harness.data_dir = None  # no override of ours: only Stash's variable
    world.harness.env = {"STASH_PLUGIN_DATA": str(data_dir)}
    stderr = first_task(world)
    assert_taken_over(world, data_dir, stderr)
    assert (data_dir / "queue.db").is_file() and not (tmp_path / "data").exists()


def test_sigkill_at_every_step_of_the_takeover_ends_in_the_same_state(
    world: Sandbox, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    write_old_data(data_dir, OLD)
    for step in STEPS:  # each run resumes what the killed one left, and is killed one step later
        child = subprocess.run(
            [sys.executable, "-m", "tests.upgrade.takeover_child", str(data_dir), step],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            timeout=60,
        )
        assert child.returncode == -signal.SIGKILL, (step, child.stderr[-2000:])
    assert json.loads((data_dir / MARKER_FILE).read_text())  # committed before the renames
    stderr = first_task(world)
    assert_taken_over(world, data_dir, stderr)
