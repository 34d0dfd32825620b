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

from sandbox.harness import PluginRun, RunningPlugin
from tests.reliability.crash_support import NewEdits, kill_across_sync_all, kill_plugin
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from worker.services import DEFAULT_BATCH_SIZE

SCENES = pick(80, 1000)
KILLS = pick(2, 12)
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

    def kill(running: RunningPlugin) -> PluginRun:
        # After a few new items: by then the pool is busy, 16 scenes in progress.
        return kill_plugin(running, rng, progress=progress, new_items=rng.randint(5, 30))

    hits, attempts, ledger = kill_across_sync_all(world, KILLS, kill, attempts_per_kill=3)
    tally.faults += hits
    world.measure(tally)
    assert tally.clean, tally.summary()
    assert hits == KILLS, f"only {hits} of {attempts} kills hit a running worker"
    assert service.peak_in_flight > 1  # the kills met parallel writes
    assert max(ledger.rewritten_after_kill(), default=0) <= BATCH_ITEMS
    assert ledger.over_budget() == []
