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

from tests.reliability.crash_support import NewEdits, PutLedger, kill_plugin, killed
from tests.reliability.integrity import writable_items
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from worker.services import DEFAULT_BATCH_SIZE

SCENES = pick(150, 2000)
KILLS = pick(3, 25)
QUEUED_LINE = "scene(s) selected of"  # Sync All's line once the library is queued
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
    ledger = PutLedger(world)
    queued = False
    hits = attempts = 0
    # A kill landing after the process exited is no kill: aim again, so KILLS land.
    while hits < KILLS and attempts < 2 * KILLS:
        attempts += 1
        mode = "process_queue" if queued else "sync_all"
        ledger.open()
        running = world.start(mode)
        if rng.random() < 0.4:  # any instant: start-up, enqueue, resume, a batch
            run = kill_plugin(running, rng, max_delay=1.0)
        else:  # after N scenes newly written
            run = kill_plugin(running, rng, progress=progress, new_items=rng.randint(1, spread))
        assert run.exit_code in (0, -9), run.stderr[-2000:]
        ledger.close(killed(run))
        hits += killed(run)
        queued = queued or QUEUED_LINE in run.stderr
    tally.faults += hits

    ledger.open()
    if not queued:  # the rule above: Sync All never got to queue the library
        assert world.run("sync_all").exit_code == 0
    runs = world.settle()
    ledger.close(False)
    assert runs[-1].exit_code == 0 and runs[-1].output["due_remaining"] == 0, runs[-1].stderr
    world.measure(tally)
    assert tally.clean, tally.summary()

    assert hits == KILLS, f"only {hits} of {attempts} kills hit a running worker"
    rewritten = ledger.rewritten_after_kill()
    assert any(keys for was_killed, keys in ledger.spans if was_killed), "no kill hit pushing"
    # A kill loses at most the outcomes of the batch in flight: only its items may be
    # written again, and none more often than once per kill that interrupted it.
    assert max(rewritten, default=0) <= BATCH_ITEMS, rewritten
    assert ledger.over_budget() == []
