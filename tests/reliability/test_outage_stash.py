"""Stash outages mid-run against the real worker: its GraphQL answering 502, or the whole
server going away while covers are fetched. Nothing lost or failed, one line per outage.

Stash itself fires the hooks, so recovery is the first edit once it answers again: its hook
wakes a worker that takes the released scenes (no circuit: Plex was fine all along).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from runtime.circuit import Circuit
from sandbox.httpd import Fault
from tests.reliability.integrity import wrongly_failed
from tests.reliability.outage_support import (
    assert_one_outage_line,
    attempts_spent,
    bump_titles,
    queue_rows,
    recovers_on_next_hook,
)
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from validation.settings_table import SETTINGS_BY_KEY
from worker.outcomes import TRANSIENT_STREAK


def _kept(world: ChaosWorld, matchable: list[int]) -> None:
    assert set(queue_rows(world)) & set(matchable), "the outage came after the run"
    assert attempts_spent(world) == {}
    assert wrongly_failed(world.data_dir) == []
    assert not Circuit(world.data_dir).is_open()  # Plex answered all along


def test_stash_down_mid_run(chaos_world: Callable[..., ChaosWorld], tally: Tally) -> None:
    scenes, episodes = pick(50, 300), pick(2, 6)
    tally.area = "outage"
    tally.scenario = f"Stash down mid-run x{episodes}, {scenes:,} scenes"
    rng = random.Random(94)
    world = chaos_world(scenes=scenes, seed=94)
    matchable = world.matchable()
    # A clean sync tells which request fetches the run's last batch of scenes (covers follow).
    before = len(world.stash.log)
    world.run("sync_all")
    routes = [r.route for r in world.stash.log.records[before:]]
    last_fetch = len(routes) - 1 - routes[::-1].index("graphql:findScenes")
    graphql_fetch = sum(1 for r in routes[:last_fetch] if r.startswith("graphql:"))

    for episode in range(episodes):
        bump_titles(world, matchable, f"s{episode}")  # new cover URLs: downloads again
        resets = world.stash.log.count("fault:reset")
        if episode % 2 == 0:
            # Stash dies while the worker downloads covers: every connection reset from then on.
            skip = last_fetch + 1 + rng.randint(3, 20)
            world.stash.knobs.add_fault(Fault("reset", skip=skip, count=None))
            run = world.run("sync_all")
            world.stash.knobs.clear_faults()
            # Bounded: the streak of failed cover downloads, not one per scene; with parallel
            # writes (4 by default) the scenes in progress when it trips finish theirs too.
            in_progress = SETTINGS_BY_KEY["plex_parallel_writes"].default - 1
            reset = [r.path for r in world.stash.log.records if r.route == "fault:reset"]
            assert len(reset) - resets <= TRANSIENT_STREAK + in_progress, reset[resets:]
        else:
            # GraphQL answers 502 from the last batch fetch on (a proxy before a dead Stash).
            world.stash.knobs.add_fault(
                Fault("status", status=502, path_regex="^/graphql", skip=graphql_fetch, count=None)
            )
            run = world.run("sync_all")
            world.stash.knobs.clear_faults()
            assert world.stash.log.count("fault:status") == episode // 2 + 1  # one request
        tally.faults += 1
        assert_one_outage_line(run, "Stash")
        _kept(world, matchable)
        recovers_on_next_hook(world, matchable[episode], f"Edited once Stash is back {episode}")

    world.measure(tally)
    assert tally.clean, tally.summary()
