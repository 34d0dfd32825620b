"""Stash's Stop button (SIGKILL) during "Reconcile Library (All)" and the worker it wakes.

A library as an earlier sync left it (stale syncs, wiped items, never-synced items, files
Plex lacks); each round asks Stash to run the reconcile task through its job queue and stops
whatever of ours runs at a random instant: the reconcile while it detects or enqueues, or
the "Process Queue" it woke while that pushes. Then what a user does: one clean Reconcile
Library (All) (its worker runs through the job queue) and Process Queue until nothing is
due; every matchable scene in step, the data folder sound, nothing else written.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable

from demo.check import problem_scenes
from tests.reliability.crash_support import (
    NewEdits,
    job_active,
    kill_plugin_job,
    killed,
    running_job,
    wait_for,
)
from tests.reliability.integrity import out_of_step
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

SCENES = pick(120, 2000)
KILLS = pick(2, 15)
RECONCILE = "Reconcile Library (All)"
WORKER = "Stash2Plex: Process Queue"


def test_sigkill_during_reconciliation_and_the_worker_it_wakes(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "crash"
    tally.scenario = f"SIGKILL x{KILLS} during Reconcile Library (All), {SCENES:,} scenes"
    world = chaos_world(scenes=SCENES, seed=92, seeded=True)
    gaps = problem_scenes(out_of_step(world.generated, world.plex.library))
    assert len(gaps) > SCENES // 10  # a library with work for the reconcile to find
    runner = world.sandbox.runner
    rng = random.Random(20260902)
    progress = NewEdits(world)
    # New items before a worker kill: together the worker rounds leave over half the gaps
    # for later rounds, so each of them finds a worker still pushing.
    spread = max(1, len(gaps) // (KILLS // 2 + 2))
    for n in range(KILLS):
        if not job_active(world):
            world.request_task(RECONCILE)
        if n % 2 == 0:  # any instant of the reconcile's process (at full size: into its worker)
            wait_for(lambda: running_job(world) is not None, timeout=60)
            time.sleep(rng.uniform(0.0, pick(0.4, 1.2)))
            kill_plugin_job(world)
        else:  # the woken worker, once it has newly written some scenes
            assert wait_for(lambda: not job_active(world, RECONCILE), timeout=120)
            if not job_active(world, WORKER):
                # The reconcile queued work but woke no worker (nothing due, or a wake-up
                # marker left by a killed process, documented in docs/worker.md): the user
                # presses Process Queue.
                world.request_task(WORKER)
            target = progress.count() + rng.randint(1, spread)
            wait_for(lambda t=target: progress.count() >= t or not job_active(world), timeout=120)
            kill_plugin_job(world, WORKER)
    assert world.stash.wait_idle(300)
    hits = Counter(label for label, run in runner.runs if killed(run))
    tally.faults += sum(hits.values())

    world.request_task(RECONCILE)  # the clean run: it wakes its worker
    assert world.stash.wait_idle(300)
    clean = [run for label, run in runner.runs[-2:] if label == RECONCILE]
    assert clean and clean[-1].exit_code == 0, runner.runs[-1][1].stderr[-2000:]
    runs = world.settle()
    assert runs[-1].exit_code == 0 and runs[-1].output["due_remaining"] == 0, runs[-1].stderr
    world.measure(tally)
    assert tally.clean, tally.summary()

    assert sum(hits.values()) >= KILLS // 2, hits
    assert hits[RECONCILE] >= 1 and hits[WORKER] >= 1, hits  # both kinds of process were hit
