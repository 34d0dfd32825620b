"""SIGKILL the real worker while it writes to Plex in parallel (issue 20); nothing is lost.

`plex_parallel_writes` at its most (16) against a Plex with a service-time model (uploads and
edits take a while, so many requests are in flight when the kill lands): each kill hits a
process with several scenes half written. After the kills, the next Process Queue runs put
every matchable scene in step, the data folder is sound and no item is written more often
than once per kill that interrupted its batch: sync state is recorded only after a scene's
writes, and a scene half written is simply written again (every edit is idempotent).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.reliability.crash_support import NewEdits, PutLedger, kill_plugin, killed
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from worker.services import DEFAULT_BATCH_SIZE

SCENES = pick(80, 1000)
KILLS = pick(2, 12)
QUEUED_LINE = "scene(s) selected of"
BATCH_ITEMS = 2 * DEFAULT_BATCH_SIZE


def test_sigkill_during_a_parallel_sync_all(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "crash"
    tally.scenario = f"SIGKILL x{KILLS} during a parallel Sync All (16 at once), {SCENES:,} scenes"
    world = chaos_world(scenes=SCENES, seed=97, plex_parallel_writes=16)
    service = world.plex.service
    service.round_trip_s, service.edit_s, service.upload_s = 0.002, 0.002, 0.01
    rng = random.Random(20261205)
    progress = NewEdits(world)
    ledger = PutLedger(world)
    queued = False
    hits = attempts = 0
    while hits < KILLS and attempts < 3 * KILLS:
        attempts += 1
        ledger.open()
        running = world.start("process_queue" if queued else "sync_all")
        # After a few new items: by then the pool is busy, 16 scenes in progress.
        run = kill_plugin(running, rng, progress=progress, new_items=rng.randint(5, 30))
        assert run.exit_code in (0, -9), run.stderr[-2000:]
        ledger.close(killed(run))
        hits += killed(run)
        queued = queued or QUEUED_LINE in run.stderr
    tally.faults += hits

    ledger.open()
    if not queued:
        assert world.run("sync_all").exit_code == 0
    runs = world.settle()
    ledger.close(False)
    assert runs[-1].exit_code == 0 and runs[-1].output["due_remaining"] == 0, runs[-1].stderr
    world.measure(tally)
    assert tally.clean, tally.summary()
    assert hits == KILLS, f"only {hits} of {attempts} kills hit a running worker"
    assert service.peak_in_flight > 1  # the kills met parallel writes
    assert max(ledger.rewritten_after_kill(), default=0) <= BATCH_ITEMS
    assert ledger.over_budget() == []
