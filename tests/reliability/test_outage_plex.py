"""Plex outages against the real worker: down before and during a run, hanging past the read
timeout, 5xx bursts. Nothing lost or failed, one line per outage, recovery on the next hook.

Each outage stops the run with one error line, spends no job attempt (timeouts count toward
the circuit), and leaves every scene queued; once the fault clears, the first edit after the
circuit's probe interval wakes a worker that syncs everything. Request counts bound what a
blocked run costs: one failing request, not one per scene.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from base.status import SceneStatus
from runtime.circuit import Circuit
from sandbox.httpd import Fault
from tests.reliability.integrity import wrongly_failed
from tests.reliability.outage_support import (
    a_probe_interval_passes,
    after_requests,
    assert_one_outage_line,
    attempts_spent,
    bump_titles,
    edit_wakes_worker,
    outage_lines,
    queue_rows,
    recovers_on_next_hook,
    time_passes,
)
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from validation.settings_table import SETTINGS_BY_KEY
from worker.outcomes import TRANSIENT_STREAK

READ_TIMEOUT = 1.0  # the setting's minimum (validation/settings_table.py)


def _untouched(world: ChaosWorld, status: SceneStatus, spent: dict[int, str] | None = None) -> None:
    """No attempt spent since `spent` (none at all by default); the circuit holds the reason."""
    assert attempts_spent(world) == (spent or {})
    assert wrongly_failed(world.data_dir) == []
    state = Circuit(world.data_dir).state()
    assert state.is_open and state.reason_class == status.value, state.as_dict()


def test_plex_down_before_and_during_a_run(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    scenes, episodes = pick(50, 400), pick(1, 6)
    tally.area = "outage"
    tally.scenario = f"Plex down before and {episodes}x during a {scenes:,}-scene sync"
    rng = random.Random(91)
    world = chaos_world(scenes=scenes, seed=91, connect_timeout=0.5, read_timeout=READ_TIMEOUT)
    matchable = world.matchable()

    world.plex.server.go_down()
    run = world.run("sync_all")
    tally.faults += 1
    assert_one_outage_line(run, "Plex unreachable (")
    assert set(matchable) <= set(queue_rows(world))
    _untouched(world, SceneStatus.PLEX_UNREACHABLE)
    # An edit while Plex is down is recorded, but wakes no worker: the probe is fresh.
    assert edit_wakes_worker(world, matchable[0], "Edited while Plex is down") is None
    world.plex.server.come_up()
    recovers_on_next_hook(world, matchable[1], "Edited once Plex is back")

    for episode in range(episodes):
        bump_titles(world, matchable, f"v{episode}")
        after = rng.randint(10, 30)
        if episode % 2 == 0:  # the server goes away: connections refused from then on
            trigger = after_requests(world.plex.log, after, world.plex.server.go_down)
            run = world.run("sync_all")
            trigger.join()
            world.plex.server.come_up()
        else:  # connections reset without an answer
            resets = world.plex.log.count("fault:reset")
            world.plex.knobs.add_fault(Fault("reset", skip=after, count=None))
            run = world.run("sync_all")
            world.plex.knobs.clear_faults()
            # Stopped at the first event: the requests in flight with it (at most the default
            # plex_parallel_writes) are all the resets.
            reset_now = world.plex.log.count("fault:reset") - resets
            assert 1 <= reset_now <= SETTINGS_BY_KEY["plex_parallel_writes"].default
        tally.faults += 1
        assert_one_outage_line(run, "Plex unreachable (")
        assert set(queue_rows(world)) & set(matchable), "the outage came after the run"
        _untouched(world, SceneStatus.PLEX_UNREACHABLE)
        recovers_on_next_hook(world, matchable[episode % len(matchable)], f"Back {episode}")

    world.measure(tally)
    assert tally.clean, tally.summary()


def test_plex_hanging_past_the_read_timeout_counts_toward_the_circuit(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    scenes, hangs = pick(50, 300), pick(2, 5)
    tally.area = "outage"
    tally.scenario = f"Plex hanging past the read timeout x{hangs} on a {scenes:,}-scene sync"
    rng = random.Random(92)
    world = chaos_world(scenes=scenes, seed=92, read_timeout=READ_TIMEOUT)
    matchable = world.matchable()
    hang = Fault("hang", hang_s=READ_TIMEOUT + 2, skip=rng.randint(15, 40), count=1)

    world.plex.knobs.add_fault(hang)
    run = world.run("sync_all")
    tally.faults += 1
    assert_one_outage_line(run, "did not answer in time")
    assert world.plex.log.count("fault:hang") == 1
    _untouched(world, SceneStatus.PLEX_UNREACHABLE)

    # Still hanging when the next edit's worker probes it: one line, nothing touched.
    for probe in range(2, hangs + 1):
        a_probe_interval_passes(world)
        world.plex.knobs.add_fault(Fault("hang", hang_s=READ_TIMEOUT + 2, count=1))
        woken = edit_wakes_worker(world, matchable[probe], f"Edited during hang {probe}")
        tally.faults += 1
        assert woken is not None
        assert_one_outage_line(woken, "did not answer in time")
        assert world.plex.log.count("fault:hang") == probe
        _untouched(world, SceneStatus.PLEX_UNREACHABLE)
        assert Circuit(world.data_dir).state().failures == probe

    recovers_on_next_hook(world, matchable[0], "Edited once Plex answers")
    world.measure(tally)
    assert tally.clean, tally.summary()


def test_5xx_bursts_are_retried_and_a_long_one_is_an_outage(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    scenes, bursts = pick(50, 300), pick(1, 9)
    tally.area = "outage"
    tally.scenario = f"{bursts} short 5xx bursts and a long 503 outage, {scenes:,} scenes"
    rng = random.Random(93)
    # One request at a time: this scenario counts attempts per 5xx; under parallel writes a
    # 5xx amid other requests is sent again instead (tests/sync/test_parallel.py).
    world = chaos_world(scenes=scenes, seed=93, plex_parallel_writes=1)
    matchable = world.matchable()
    world.run("sync_all")  # in step first: each burst then meets writes only

    for burst in range(bursts):
        bump_titles(world, matchable, f"b{burst}")
        status = (503, 502, 500)[burst % 3]
        hits, waiting = world.plex.log.count("fault:status"), attempts_spent(world)
        world.plex.knobs.add_fault(Fault("status", status=status, skip=rng.randint(5, 40), count=2))
        run = world.run("sync_all")
        tally.faults += 1
        # A short burst is two scenes' trouble: retried later, no warning, no attempt lost.
        assert run.exit_code == 0 and outage_lines(run) == [], run.stderr[-2000:]
        assert world.plex.log.count("fault:status") - hits == 2
        spent = {k: v for k, v in attempts_spent(world).items() if waiting.get(k) != v}
        assert 1 <= len(spent) <= 2, spent  # one more attempt each, none failed
        assert all(
            int(v.split()[0]) == int(waiting.get(k, "0").split()[0]) + 1 for k, v in spent.items()
        ), (spent, waiting)
        assert wrongly_failed(world.data_dir) == []
        time_passes(world, 60)  # past the first backoff (30 s × at most 1.25)
        woken = edit_wakes_worker(world, matchable[burst], f"Edited after burst {burst}")
        assert woken is not None and woken.exit_code == 0 and outage_lines(woken) == []
        assert isinstance(woken.output, dict) and woken.output["retried"] == 0
        # Synced (gone from the queue), or on to a timed wait for Plex's scan or the cover
        # (attempts are reset by a success only, so a waiting scene keeps its one).
        rows = queue_rows(world)
        assert all(sid not in rows or rows[sid].wait_reason for sid in spent), spent

    # A Plex answering 503 to everything (starting up, maintaining its database) is an
    # outage: the run stops after TRANSIENT_STREAK failing scenes, no attempt spent.
    bump_titles(world, matchable, "long")
    hits, waiting = world.plex.log.count("fault:status"), attempts_spent(world)
    world.plex.knobs.add_fault(Fault("status", status=503, skip=rng.randint(5, 40), count=None))
    run = world.run("sync_all")
    tally.faults += 1
    assert_one_outage_line(run, "Plex unreachable (Plex answered 503")
    assert world.plex.log.count("fault:status") - hits <= 3 * TRANSIENT_STREAK
    _untouched(world, SceneStatus.PLEX_ERROR, waiting)
    # Still answering 503 when the next edit's worker probes it.
    a_probe_interval_passes(world)
    hits = world.plex.log.count("fault:status")
    woken = edit_wakes_worker(world, matchable[0], "Edited while Plex still 503s")
    assert woken is not None
    assert_one_outage_line(woken, "still unreachable")
    assert world.plex.log.count("fault:status") - hits == 1  # the probe, nothing else
    _untouched(world, SceneStatus.PLEX_ERROR, waiting)

    world.plex.knobs.clear_faults()
    recovers_on_next_hook(world, matchable[1], "Edited once Plex answers")
    world.measure(tally)
    assert tally.clean, tally.summary()
