"""Two "Process Queue" tasks at once, in real processes: started side by side as Stash starts
them, and requested twice through Stash's job queue.

Exactly one works at a time (the worker lock; Stash's queue runs one job at a time), the
other exits cleanly with one clear line, and every queued scene is written exactly once:
nothing lost, nothing doubled.
"""

from __future__ import annotations

from collections.abc import Callable

from runtime.wakeup import WORKER_TASK_NAME
from sandbox.harness import PluginRun
from sync_queue.inbox import Inbox
from tests.reliability.concurrency_support import (
    all_at_once,
    emulator_runs,
    jobs_named,
    plex_edited_items,
    repeated_plex_writes,
    stderr_problems,
    wait_for,
)
from tests.reliability.integrity import writable_items
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

ANOTHER = "another worker is running"


def _queue_every_matchable_scene(world: ChaosWorld) -> list[int]:
    """What a bulk edit's first hook records (the inbox), for every scene Plex can show."""
    ids = world.matchable()
    with Inbox(world.data_dir) as inbox:
        inbox.record("scene", ids, "Scene.Update.Post")
    return ids


def _written_once(world: ChaosWorld) -> list[str]:
    """No write repeated (nothing doubled), and only items a matchable scene owns written."""
    allowed = writable_items(world.generated)
    return repeated_plex_writes(world) + [
        f"item {rk} written though no scene owns it"
        for rk in sorted(plex_edited_items(world) - allowed)
    ]


def _worked(run: PluginRun) -> bool:
    return isinstance(run.output, dict) and run.output.get("stopped") != ANOTHER


def test_two_process_queue_processes_started_at_once_one_works_one_exits(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "concurrency"
    tally.scenario = "Two Process Queue processes started at the same instant"
    world = chaos_world(scenes=pick(30, 200), seed=35)
    queued = _queue_every_matchable_scene(world)
    # Plex answers slowly while the loser decides, so the winner is surely mid-run (not
    # finishing: a finishing holder is waited for, by design) when the loser looks.
    world.plex.knobs.latency_s = 0.05
    workers = all_at_once([0, 1], lambda _: world.start("process_queue"))
    tally.faults += 1
    wait_for(lambda: not all(w.is_running() for w in workers), "one of the two to exit")
    loser = next(w for w in workers if not w.is_running())
    (winner,) = [w for w in workers if w is not loser]
    assert winner.is_running(), "both exited: they did not overlap"
    world.plex.knobs.latency_s = 0.0
    lost_run, won_run = loser.wait(timeout=60), winner.wait(timeout=300)

    assert lost_run.exit_code == 0 and lost_run.error is None, lost_run.stderr[-2000:]
    assert lost_run.output == {"task": WORKER_TASK_NAME, "stopped": ANOTHER}
    (line,) = lost_run.messages("info")
    assert "another Stash2Plex worker is running" in line and "this one exits" in line
    assert lost_run.messages("warning") == lost_run.messages("error") == []
    assert won_run.ok and won_run.output["stopped"] == "done", won_run.stderr[-2000:]
    assert won_run.output["processed"] == len(queued)
    assert stderr_problems([lost_run, won_run]) == []
    assert _written_once(world) == []
    world.measure(tally)
    assert tally.clean, tally.summary()


def test_two_process_queue_tasks_requested_through_stash_run_one_after_the_other(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "concurrency"
    tally.scenario = "Process Queue requested twice through Stash at once"
    world = chaos_world(scenes=pick(30, 200), seed=36)
    queued = _queue_every_matchable_scene(world)
    all_at_once([0, 1], lambda _: world.request_task(WORKER_TASK_NAME))
    tally.faults += 1
    wait_for(lambda: len(emulator_runs(world, WORKER_TASK_NAME)) == 2, "both tasks", 300)
    assert world.stash.wait_idle(60)

    first, second = sorted(jobs_named(world, WORKER_TASK_NAME), key=lambda j: j.id)
    assert first.status == second.status == "FINISHED"
    assert first.end_time is not None and second.start_time is not None
    assert second.start_time >= first.end_time  # Stash ran them one at a time
    runs = emulator_runs(world, WORKER_TASK_NAME)
    assert all(r.ok for r in runs), [r.stderr[-1000:] for r in runs]
    # The first did all the work; the second found nothing due and said so in its summary.
    assert [r.output["processed"] for r in runs] == [len(queued), 0]
    assert [r.output["stopped"] for r in runs] == ["done", "done"]
    assert all(_worked(r) for r in runs)
    assert runs[1].messages("warning") == runs[1].messages("error") == []
    assert stderr_problems(runs) == []
    assert _written_once(world) == []
    world.measure(tally)
    assert tally.clean, tally.summary()
