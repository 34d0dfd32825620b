"""SIGKILL the real worker at random instants across a Sync All; one clean run puts all in step.

What a user must do after Stash's Stop button (a SIGKILL) hit "Sync All Scenes": nothing
beyond the next "Process Queue" (the next edit's hook starts it, or the button), unless the
kill came before Sync All had queued the library, i.e. its log line "N scene(s) selected of
M read" is missing: then nothing was queued and Sync All must be run again. The scenario
follows exactly that rule, then measures: every matchable scene in step, the data folder
sound, nothing else written, and no item written more often than once plus once per kill
that interrupted its batch.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from sandbox.harness import PluginRun, RunningPlugin
from tests.reliability.crash_support import NewEdits, kill_across_sync_all, kill_plugin
from tests.reliability.integrity import writable_items
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from worker.services import DEFAULT_BATCH_SIZE

SCENES = pick(150, 2000)
KILLS = pick(3, 25)
BATCH_ITEMS = 2 * DEFAULT_BATCH_SIZE  # one batch of scenes, at most two Plex items each


def test_sigkill_at_random_instants_across_a_sync_all(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "crash"
    tally.scenario = f"SIGKILL x{KILLS} across a {SCENES:,}-scene Sync All"
    world = chaos_world(scenes=SCENES, seed=91)
    rng = random.Random(20260901)
    # New items edited before a progress kill: on average the kills spread over the sync.
    spread = max(2, len(writable_items(world.generated)) // (KILLS + 1))
    progress = NewEdits(world)

    def kill(running: RunningPlugin) -> PluginRun:
        if rng.random() < 0.4:  # any instant: start-up, enqueue, resume, a batch
            return kill_plugin(running, rng, max_delay=1.0)
        # after N scenes newly written
        return kill_plugin(running, rng, progress=progress, new_items=rng.randint(1, spread))

    hits, attempts, ledger = kill_across_sync_all(world, KILLS, kill)
    tally.faults += hits
    world.measure(tally)
    assert tally.clean, tally.summary()

    assert hits == KILLS, f"only {hits} of {attempts} kills hit a running worker"
    rewritten = ledger.rewritten_after_kill()
    assert any(keys for was_killed, keys in ledger.spans if was_killed), "no kill hit pushing"
    # A kill loses at most the outcomes of the batch in flight: only its items may be
    # written again, and none more often than once per kill that interrupted it.
    assert max(rewritten, default=0) <= BATCH_ITEMS, rewritten
    assert ledger.over_budget() == []
