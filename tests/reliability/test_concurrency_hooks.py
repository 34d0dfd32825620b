"""Hooks beside running tasks, in real processes: edits land while a worker or a
reconciliation runs, while the worker holds its lock, and while Stash hangs.

Every hook is the real Stash2Plex.py started as Stash starts it (inside the emulator's
`sceneUpdate`, or by the harness after an edit was committed). After everything settles,
each edited scene must carry its last edit in Plex (level-triggered), no hook may fail,
and no process may report "database is locked" or a Traceback.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable

from runtime.wakeup import WORKER_TASK_NAME
from sandbox.httpd import Fault
from tests.reliability.concurrency_support import (
    PLEX_EDIT_ROUTE,
    all_at_once,
    due_ids,
    edit_scene,
    emulator_runs,
    failed_hooks,
    jobs_named,
    set_scene,
    start_hook,
    stderr_problems,
    wait_for,
)
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

HOOK = "Scene.Update.Post"


def _edit_plan(world: ChaosWorld, hooks: int, seed: int) -> list[tuple[int, str, str]]:
    """`hooks` edits over 2/5 as many matchable scenes, shuffled: every scene is edited
    twice or more, by hooks running at the same time."""
    rng = random.Random(seed)
    scenes = rng.sample(world.matchable(), max(2, hooks * 2 // 5))
    plan = [
        (scenes[n % len(scenes)], f"Concurrent edit {n} «{seed}»", f"Edited by hook {n}.\nDone.")
        for n in range(hooks)
    ]
    rng.shuffle(plan)
    return plan


def _edit_all_at_once(world: ChaosWorld, plan: list[tuple[int, str, str]]) -> None:
    all_at_once(plan, lambda edit: edit_scene(world, *edit))


def _last_edits_in_plex(world: ChaosWorld, plan: list[tuple[int, str, str]]) -> list[str]:
    """Per edited scene: Stash kept one of our edits, and every Plex item carries that one."""
    sent: dict[int, set[str]] = defaultdict(set)
    for sid, title, _ in plan:
        sent[sid].add(title)
    problems = []
    lib = world.plex.library
    for sid, titles in sorted(sent.items()):
        final = world.generated.stash.scenes[sid].title
        if final not in titles:
            problems.append(f"scene {sid}: Stash title {final!r} is none of the edits")
        for _, rating_key in world.generated.truth.scenes[sid].targets:
            with lib.lock:
                have = lib.items[rating_key].title
            if have != final:
                problems.append(
                    f"scene {sid} item {rating_key}: Plex {have!r}, last edit {final!r}"
                )
    return problems


def _check_settled(world: ChaosWorld, plan: list[tuple[int, str, str]], tally: Tally) -> None:
    """Shared end checks: hooks, stderr, last edits, no work left due, the tally."""
    assert world.stash.wait_idle(300), "Stash's job queue did not drain"
    hooks = emulator_runs(world, HOOK)
    assert len(hooks) == len(plan), (len(hooks), len(plan))
    assert failed_hooks(hooks) == []
    # Each hook recorded its own scene (Stash fired one per edit).
    assert sorted(r.output["scene_ids"][0] for r in hooks) == sorted(sid for sid, _, _ in plan)
    assert stderr_problems(emulator_runs(world)) == []
    # No manual Process Queue was needed: nothing is left READY in Stash and nothing is
    # due (scenes waiting for a cover or a Plex scan may remain queued, not due).
    assert [j.status for j in world.stash.jobs if j.status in ("READY", "RUNNING")] == []
    assert due_ids(world) == set()
    assert _last_edits_in_plex(world, plan) == []
    world.measure(tally)
    assert tally.clean, tally.summary()


def test_parallel_hooks_while_a_worker_runs_leave_every_last_edit_in_plex(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    hooks = pick(12, 50)
    tally.area = "concurrency"
    tally.scenario = f"{hooks} parallel hooks while a worker (Sync All) runs"
    world = chaos_world(scenes=pick(30, 200), seed=31)
    plan = _edit_plan(world, hooks, seed=31)

    world.request_task("Sync All Scenes")
    wait_for(lambda: world.plex.log.count(PLEX_EDIT_ROUTE) >= 2, "the worker's first writes")
    # Slow Plex down so the worker is still writing when the last hook returns; every
    # hook's edit then lands while the worker holds its lock and drains the inbox.
    world.plex.knobs.latency_s = 0.1
    _edit_all_at_once(world, plan)
    (sync,) = jobs_named(world, "Sync All Scenes")
    assert sync.status == "RUNNING", "the hooks did not overlap the worker (test too slow?)"
    world.plex.knobs.latency_s = 0.0
    tally.faults += hooks  # processes beside the running worker

    _check_settled(world, plan, tally)
    # The marker keeps all but the first hook from asking Stash: one Process Queue behind
    # the running worker (a second may follow a finishing worker). None at all when that
    # hook's request timed out under the burst (by design: one warning, work recorded);
    # the running worker's last look at the inbox then took the edits, as checked above.
    assert len(jobs_named(world, WORKER_TASK_NAME)) <= 2


def test_parallel_hooks_while_a_reconciliation_runs_leave_every_last_edit_in_plex(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    hooks = pick(12, 50)
    tally.area = "concurrency"
    tally.scenario = f"{hooks} parallel hooks while Reconcile Library (All) runs"
    # Seeded as an earlier sync left it: reconciliation finds every gap there is.
    world = chaos_world(scenes=pick(30, 200), seed=32, seeded=True)
    plan = _edit_plan(world, hooks, seed=32)

    # Each Plex request of the reconciliation (identity, sections, one listing per section)
    # waits this long, so from its start until well after the last hook returns it is
    # running; the latency is lifted as soon as the hooks are done.
    world.plex.knobs.latency_s = pick(0.5, 2.0)
    world.request_task("Reconcile Library (All)")
    wait_for(
        lambda: [j.status for j in jobs_named(world, "Reconcile Library (All)")] == ["RUNNING"],
        "the reconciliation to start",
    )
    _edit_all_at_once(world, plan)
    (reconcile,) = jobs_named(world, "Reconcile Library (All)")
    assert reconcile.status == "RUNNING", "the hooks did not overlap the reconciliation"
    world.plex.knobs.latency_s = 0.0
    tally.faults += hooks

    _check_settled(world, plan, tally)
    (run,) = emulator_runs(world, "Reconcile Library (All)")
    assert run.ok and run.output["complete"] and run.output["errors"] == [], run.stderr[-2000:]
    # It queued its gaps, and skipped the edited scenes the hooks had already recorded.
    assert run.output["enqueued_count"] > 0 and run.output["skipped_already_queued"] >= 1


def test_a_hook_while_the_worker_holds_its_lock_records_and_exits_at_once(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "concurrency"
    tally.scenario = "Hooks while the worker holds its lock"
    # Stash queues the worker the hooks ask for but does not run it: the worker started here
    # (as a manual run beside Stash's queue) is the one holding the lock.
    world = chaos_world(scenes=pick(20, 120), seed=33, run_jobs_inline=False)
    world.plex.knobs.latency_s = 0.1  # the worker holds its lock for seconds
    worker = world.start("sync_all")
    wait_for(lambda: world.plex.log.count(PLEX_EDIT_ROUTE) >= 1, "the worker's first write")

    edited = random.Random(33).sample(world.matchable(), 3)
    runs = []
    for n, sid in enumerate(edited):
        fields = {"title": f"Edited under the lock {n}"}
        set_scene(world, sid, **fields)
        runs.append(start_hook(world, sid, fields).wait(timeout=60))
    # A hook that waited for the worker's lock (or for a write transaction the worker held)
    # would return only when the worker ends, seconds later; SPEC §2.1 budgets a median of
    # 80 ms. 2 s is the loose bound that cannot be met by waiting, yet leaves a loaded CI
    # machine room to start Python: that the worker is still running proves the point.
    assert worker.is_running(), "the worker ended before the hooks (test too slow?)"
    assert [r.output for r in runs] == [{"hook": HOOK, "scene_ids": [sid]} for sid in edited]
    assert all(r.ok and r.duration_s < 2.0 for r in runs), [r.duration_s for r in runs]
    tally.faults += len(runs)

    world.plex.knobs.latency_s = 0.0
    result = worker.wait(timeout=300)
    assert result.ok, result.stderr[-2000:]
    assert world.stash.wait_idle(300)
    assert stderr_problems([result, *runs, *emulator_runs(world)]) == []
    assert due_ids(world) == set()
    # The first hook found no marker (the worker deletes it when it starts) and asked Stash
    # for one Process Queue; the others saw the marker and did not ask again.
    assert [j.status for j in jobs_named(world, WORKER_TASK_NAME)] == ["READY"]
    world.measure(tally)
    assert tally.clean, tally.summary()


def test_a_hook_with_stash_hanging_records_warns_once_and_exits_within_its_timeout(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "concurrency"
    tally.scenario = "Hook while Stash's GraphQL hangs (2 s timeout)"
    world = chaos_world(scenes=20, seed=34, seeded=True)
    sid, other = world.matchable()[:2]
    world.stash.knobs.add_fault(Fault("hang", path_regex="graphql", hang_s=30, count=None))
    tally.faults += 1

    fields = {"title": "Edited while Stash hangs"}
    set_scene(world, sid, **fields)
    hung = start_hook(world, sid, fields).wait(timeout=60)
    # The contract (SPEC §2.2): each GraphQL call of a hook gives up within 2 s, and the
    # first failure makes the hook skip its second call. So 2 s plus starting Python is the
    # whole cost; 6 s leaves a loaded machine room yet fails a hook that waited on a
    # second call or on Stash's 30 s hang.
    assert hung.duration_s < 6.0, hung.duration_s
    assert hung.exit_code == 0 and hung.error is None, hung.stderr[-2000:]
    assert hung.output == {"hook": HOOK, "scene_ids": [sid]}
    (warning,) = hung.messages("warning")
    assert "Could not start 'Stash2Plex: Process Queue'" in warning and "recorded" in warning
    # A second hook during the same outage backs off without paying the timeout again.
    fields = {"title": "Edited while Stash still hangs"}
    set_scene(world, other, **fields)
    backed_off = start_hook(world, other, fields).wait(timeout=60)
    assert backed_off.ok and backed_off.messages("warning") == []
    assert backed_off.duration_s < 2.0, backed_off.duration_s
    assert {sid, other} <= _recorded(world)

    # Stash recovers; the user runs a reconciliation. A hook's failed request moments ago
    # (its 30 s backoff spares hooks the timeout) must not keep this task, which leaves
    # work behind, from starting the worker (regression: it answered "backoff").
    world.stash.knobs.clear_faults()
    world.request_task("Reconcile Library (All)")
    assert world.stash.wait_idle(120)
    (reconcile,) = emulator_runs(world, "Reconcile Library (All)")
    assert reconcile.ok and reconcile.output["worker"] == "requested", reconcile.stdout[-2000:]
    assert reconcile.output["skipped_already_queued"] >= 1  # the hooks' scenes were pending
    (run,) = emulator_runs(world, WORKER_TASK_NAME)
    assert run.ok and run.output["synced"] >= 2, run.stderr[-2000:]
    assert stderr_problems([hung, backed_off, reconcile, run]) == []
    for scene_id, title in (
        (sid, "Edited while Stash hangs"),
        (other, "Edited while Stash still hangs"),
    ):
        for _, rating_key in world.generated.truth.scenes[scene_id].targets:
            assert world.plex.library.items[rating_key].title == title
    assert due_ids(world) == set()
    world.measure(tally)
    assert tally.clean, tally.summary()


def _recorded(world: ChaosWorld) -> set[int]:
    from sync_queue.inbox import Inbox

    with Inbox(world.data_dir) as inbox:
        return set(inbox.pending_ids("scene"))
