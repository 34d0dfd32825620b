"""Shared tools of the crash-safety scenarios: SIGKILL at a random instant, and who wrote what.

A kill lands either after a random delay or once the process has made N Plex edits (watched
in the Plex emulator's request log); `PutLedger` attributes every Plex edit to the process
that made it, so a scenario can bound how often a kill made an item be written again.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.harness import PluginRun, RunningPlugin
from tests.reliability.world import ChaosWorld

EDIT = "PUT /library/sections/{id}/all"
QUEUED_LINE = "scene(s) selected of"  # Sync All's line once the library is queued
STOP_JOB = 'mutation { stopJob(job_id: "%s") }'


def killed(run: PluginRun) -> bool:
    """The kill hit a running process (it did not exit by itself first)."""
    return run.exit_code == -signal.SIGKILL


def edits(world: ChaosWorld) -> int:
    """Plex edits (PUTs) answered so far."""
    return world.plex.log.count(EDIT)


def edited_keys(world: ChaosWorld, start: int = 0, end: int | None = None) -> list[int]:
    """Rating keys of the Plex edits in the request log slice [start:end], in order."""
    keys: list[int] = []
    for record in world.plex.log.records[start:end]:
        if record.route == EDIT:
            keys += [int(v) for k, v in record.query if k == "id"]
    return keys


def wait_for(condition: Any, timeout: float = 60.0, step: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


class NewEdits:
    """Counts Plex items edited for the first time in this world (progress, not re-writes)."""

    def __init__(self, world: ChaosWorld) -> None:
        self.world = world
        self.seen: set[int] = set()
        self.read = 0

    def count(self) -> int:
        records = self.world.plex.log.records
        for record in records[self.read :]:
            if record.route == EDIT:
                self.seen.update(int(v) for k, v in record.query if k == "id")
        self.read = len(records)
        return len(self.seen)


def kill_plugin(
    running: RunningPlugin,
    rng: random.Random,
    *,
    max_delay: float = 1.0,
    progress: NewEdits | None = None,
    new_items: int = 0,
) -> PluginRun:
    """SIGKILL `running` after a random delay up to `max_delay` or, with `progress`, once it
    has edited `new_items` Plex items never edited before (plus up to 50 ms, so the kill may
    land mid-request)."""
    if progress is None:
        delay = rng.uniform(0.0, max_delay)
    else:
        target = progress.count() + new_items
        wait_for(lambda: progress.count() >= target or not running.is_running(), step=0.01)
        delay = rng.uniform(0.0, 0.05)
    timer = threading.Timer(delay, running.kill)
    timer.start()
    try:
        return running.wait(timeout=300)
    finally:
        timer.cancel()


def running_job(world: ChaosWorld, task_name: str | None = None) -> Any:
    """The Stash job RUNNING now (optionally: of `task_name`), or None."""
    return next(
        (
            j
            for j in world.stash.jobs
            if j.status == "RUNNING" and (task_name is None or j.task_name == task_name)
        ),
        None,
    )


def job_active(world: ChaosWorld, task_name: str | None = None) -> bool:
    """A job of ours (optionally: of `task_name`) is waiting or running in Stash's queue."""
    return any(
        j.status in ("READY", "RUNNING") and (task_name is None or j.task_name == task_name)
        for j in world.stash.jobs
    )


def kill_plugin_job(world: ChaosWorld, task_name: str | None = None) -> None:
    """Press Stop on the running job (of `task_name`), if any: its process gets SIGKILL."""
    job = running_job(world, task_name)
    if job is not None:
        stop_job(world, job.id)


def stop_job(world: ChaosWorld, job_id: int) -> None:
    """Stash's Stop button (`stopJob`): a running plugin task is SIGKILLed."""
    world.graphql(STOP_JOB % job_id, timeout=10)


def stash_graphql(world: ChaosWorld, query: str, variables: dict[str, Any]) -> Any:
    """A mutation as the Stash UI sends it (authenticated by the session cookie)."""
    return world.graphql(query, variables)


@dataclass
class PutLedger:
    """Plex edits per process: `close(killed)` after each process ends (one at a time)."""

    world: ChaosWorld
    mark: int = 0
    spans: list[tuple[bool, list[int]]] = field(default_factory=list)  # (killed, keys)

    def open(self) -> None:
        self.mark = len(self.world.plex.log)

    def close(self, was_killed: bool) -> None:
        end = len(self.world.plex.log)
        self.spans.append((was_killed, edited_keys(self.world, self.mark, end)))
        self.mark = end

    def rewritten_after_kill(self) -> list[int]:
        """Per killed process: how many items it edited were edited again by a later one."""
        counts = []
        for n, (was_killed, keys) in enumerate(self.spans):
            if was_killed:
                later = {k for _, ks in self.spans[n + 1 :] for k in ks}
                counts.append(len(set(keys) & later))
        return counts

    def over_budget(self) -> list[str]:
        """Items written by more processes than one plus one per killed process that wrote
        them: i.e. by two processes that were not killed. Counted per process, not per PUT
        (an item may take two PUTs in one push, e.g. a long summary, then image locks)."""
        writers: Counter[int] = Counter()
        allowed: Counter[int] = Counter()
        for was_killed, keys in self.spans:
            writers.update(set(keys))
            if was_killed:
                allowed.update(set(keys))
        return [
            f"item {rk} written by {n} processes ({allowed[rk]} of them killed)"
            for rk, n in sorted(writers.items())
            if n > 1 + allowed[rk]
        ]


def kill_across_sync_all(
    world: ChaosWorld,
    kills: int,
    kill: Callable[[RunningPlugin], PluginRun],
    *,
    attempts_per_kill: int = 2,
) -> tuple[int, int, PutLedger]:
    """SIGKILL Sync All (then Process Queue, once the library is queued) `kills` times with
    `kill`, then do what a user must do: nothing beyond the next Process Queue, unless no run
    got to queue the library (its line "N scene(s) selected of M read" is missing), then run
    Sync All again. Returns (kills that hit, attempts, the ledger of who wrote what); the
    caller checks the settled world. A kill landing after the process exited is no kill: it
    is aimed again, up to `attempts_per_kill` times per kill."""
    ledger = PutLedger(world)
    queued = False
    hits = attempts = 0
    while hits < kills and attempts < attempts_per_kill * kills:
        attempts += 1
        ledger.open()
        run = kill(world.start("process_queue" if queued else "sync_all"))
        assert run.exit_code in (0, -9), run.stderr[-2000:]
        ledger.close(killed(run))
        hits += killed(run)
        queued = queued or QUEUED_LINE in run.stderr
    ledger.open()
    if not queued:
        assert world.run("sync_all").exit_code == 0
    runs = world.settle()
    ledger.close(False)
    assert runs[-1].exit_code == 0 and runs[-1].output["due_remaining"] == 0, runs[-1].stderr
    return hits, attempts, ledger


class HeldHooks:
    """Stands in for the Stash emulator's plugin runner: hook events are only logged
    (`stash.hook_log`), so a test can start each hook process itself and kill it; tasks
    are still the real runner's."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.plugin_id = runner.plugin_id

    def task_names(self) -> list[str]:
        return list(self.runner.task_names())

    def run_task(self, task_name: str, args_map: dict[str, object], progress: Any) -> Any:
        return self.runner.run_task(task_name, args_map, progress)

    def fire_hooks(self, trigger: str, hook_id: int, hook_input: object, fields: Any) -> None:
        return None  # held: the test runs (and kills) the hook process

    def cancel_running(self) -> None:
        self.runner.cancel_running()


def start_hook(world: ChaosWorld, call: Any) -> RunningPlugin:
    """Start the hook process Stash would start for one logged hook event."""
    harness = world.harness
    return harness.start(harness.hook_args(call.trigger, call.id, call.input, call.input_fields))
