"""The suite's instruments can fail: a clean run measures zero, planted defects are counted.

A sync with Stash auth on and distinctive secrets ends with every matchable scene in step
and nothing else written; then a foreign write, an out-of-step item, a corrupt file and a
transient failure on the failed list are each planted and must each be counted.
"""

from __future__ import annotations

from collections.abc import Callable

from sync_queue.queuedb import FailedList
from tests.reliability.integrity import writable_items
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld


def test_a_clean_sync_measures_zero_and_planted_defects_are_counted(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area, tally.scenario = "control", "Clean Sync All, then planted defects"
    world = chaos_world(scenes=120, seed=3)
    run = world.run("sync_all")
    assert run.exit_code == 0 and run.output["synced"] > 50, run.stderr[-2000:]
    world.measure(tally)
    assert tally.clean, tally.summary()

    lib = world.plex.library
    allowed = writable_items(world.generated)
    foreign = next(rk for rk in sorted(lib.items) if rk not in allowed)
    owned = next(iter(sorted(allowed)))
    with lib.lock:
        lib.items[foreign].summary = "written by mistake"
        lib.items[owned].title = "stale title"
    with FailedList(world.data_dir) as failed:
        failed.add(world.matchable()[0], "PlexServerDown", "down for a moment", attempts=1)
    (world.data_dir / "last_run.json").write_text("{ half written")

    tally.faults += 4  # the four defects planted above, each of which must be counted
    planted = Tally(area="control", scenario="planted")
    world.measure(planted)
    assert planted.wrong == 1, planted.summary()
    # the stale title, the transient failure, the torn JSON file
    assert planted.lost == 3, planted.summary()
