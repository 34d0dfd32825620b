"""What the outage scenarios share: the run's outage lines, a UI edit whose hook wakes the
worker, "a minute passes" for the data folder, and a fault armed after N requests.

An outage must cost one warning/error line per run, not one per scene; the run summary's
line of scenes that failed for good on their own (a file outside the Plex libraries, an
ambiguous match: the generated library has a few) is not the outage's and is left out.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.circuit import PROBE_INTERVAL_S, Circuit
from runtime.wakeup import WORKER_TASK_NAME
from sandbox.harness import PluginRun
from sandbox.httpd import RequestLog, wait_until
from sync_queue.inbox import Inbox
from sync_queue.jobs import WorkItem
from sync_queue.workqueue import WorkQueue
from tests.reliability.integrity import TRANSIENT_STATUSES
from tests.reliability.world import ChaosWorld

SCENE_UPDATE = (
    "mutation Edit($input: SceneUpdateInput!) { sceneUpdate(input: $input) { id updated_at } }"
)
_SCENES_FAILED = re.compile(r"^[\d,]+ scenes? failed: ")
_TRANSIENT_WORDS = tuple(status.phrase for status in TRANSIENT_STATUSES)


def outage_lines(run: PluginRun) -> list[str]:
    """Warning and error lines of `run`, minus the summary's line of scenes failing for good
    on their own (no transient reason among them)."""
    lines = []
    for line in run.logs:
        if line.level not in ("warning", "error"):
            continue
        failed = _SCENES_FAILED.match(line.message)
        if failed and not any(words in line.message for words in _TRANSIENT_WORDS):
            continue
        lines.append(line.message)
    return lines


def queue_rows(world: ChaosWorld) -> dict[int, WorkItem]:
    with WorkQueue(world.data_dir) as queue:
        return {item.scene_id: item for item in queue.items()}


def attempts_spent(world: ChaosWorld) -> dict[int, str]:
    """Queued scenes with retry attempts spent (an outage must spend none)."""
    return {
        sid: f"{row.attempts} ({row.last_error_class}: {row.last_error})"
        for sid, row in queue_rows(world).items()
        if row.attempts
    }


def worker_runs(world: ChaosWorld) -> list[PluginRun]:
    """Process Queue runs Stash started from its job queue (woken by hooks)."""
    return world.sandbox.runner.results(WORKER_TASK_NAME)


def edit_scene(world: ChaosWorld, scene_id: int, title: str) -> None:
    """A sceneUpdate as the UI sends it; Stash runs the hooks inside the request."""
    world.graphql(SCENE_UPDATE, {"input": {"id": str(scene_id), "title": title}})


def edit_wakes_worker(world: ChaosWorld, scene_id: int, title: str) -> PluginRun | None:
    """Edit a scene (its hook applies the wake-up rule); the worker run it caused, if any."""
    before = len(worker_runs(world))
    edit_scene(world, scene_id, title)
    assert world.stash.wait_idle(120), "Stash's job queue did not drain"
    runs = worker_runs(world)
    assert len(runs) <= before + 1, "one edit woke more than one worker"
    return runs[-1] if len(runs) > before else None


def time_passes(world: ChaosWorld, seconds: float) -> None:
    """The clock seam the sandbox cannot reach: make the data folder `seconds` older.

    The circuit's last probe and every queued scene's due time move back, and the queue's
    published due time with them, exactly as if the plugin had been idle that long.
    """
    circuit = Circuit(world.data_dir)
    state = circuit.state()
    if state.is_open:  # rewritten as is, only older (open() would count a failure)
        state.opened_at -= seconds
        state.last_probe_at -= seconds
        Path(circuit.path).write_text(json.dumps(state.as_dict()), encoding="utf-8")
    conn = sqlite3.connect(world.data_dir / "queue.db", timeout=30)
    try:
        with conn:
            conn.execute(
                "UPDATE work SET ready_at = ready_at - ? WHERE state = 'queued'", (seconds,)
            )
    finally:
        conn.close()
    with WorkQueue(world.data_dir) as queue, Inbox(world.data_dir) as inbox:
        inbox.publish_queue_due(queue.next_due_at())


def a_probe_interval_passes(world: ChaosWorld) -> None:
    time_passes(world, PROBE_INTERVAL_S + 1)


def after_requests(log: RequestLog, count: int, action: Callable[[], Any]) -> threading.Thread:
    """Call `action` from a thread once `log` holds `count` more requests than now."""
    target = len(log) + count

    def wait_then_act() -> None:
        wait_until(lambda: len(log) >= target, timeout=120, step=0.002)
        action()

    thread = threading.Thread(target=wait_then_act, name="outage-trigger", daemon=True)
    thread.start()
    return thread


def bump_titles(world: ChaosWorld, scene_ids: list[int], tag: str) -> None:
    """Change scenes in Stash without hooks (Sync All then has a write to do for each)."""
    now = world.stash.stored_now()  # an edit's new updated_at: new cover URLs too (?t=)
    with world.stash.library.lock:
        for sid in scene_ids:
            scene = world.stash.library.scenes[sid]
            scene.title = f"{scene.title or 'Scene'} {tag}"[:200]
            scene.updated_at = now


def assert_one_outage_line(run: PluginRun, needle: str) -> None:
    """The run stopped with exit 1 and exactly one warning/error line, its error, naming why."""
    assert run.exit_code == 1, (run.exit_code, run.stderr[-1500:])
    assert run.error is not None and needle in run.error, run.error
    assert outage_lines(run) == [run.error], outage_lines(run)


def recovers_on_next_hook(world: ChaosWorld, scene_id: int, title: str) -> PluginRun:
    """Once the fault cleared: a minute later the next edit's hook wakes the worker, which
    probes Plex, closes the circuit and drains everything due, without a warning."""
    was_open = Circuit(world.data_dir).is_open()
    a_probe_interval_passes(world)
    run = edit_wakes_worker(world, scene_id, title)
    assert run is not None, "the hook did not wake the worker"
    assert run.exit_code == 0 and run.error is None, run.stderr[-2000:]
    assert outage_lines(run) == [], outage_lines(run)
    output = run.output if isinstance(run.output, dict) else {}
    assert output.get("due_remaining") == 0, output
    assert not Circuit(world.data_dir).is_open()
    if was_open:
        assert "Plex answers again: circuit closed, processing resumes" in run.messages("info")
    return run
