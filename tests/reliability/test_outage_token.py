"""The Plex token revoked mid-run: one error line, every job queued with no attempt spent,
View Status and Health Check say "token rejected", processing resumes once it is fixed.

The fix is the user's (a new token in the plugin settings); after that nothing more is
needed: the next edit's hook wakes a worker whose probe succeeds with the new token.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from runtime.circuit import Circuit
from sandbox.secrets import distinctive
from tests.reliability.integrity import wrongly_failed
from tests.reliability.outage_support import (
    a_probe_interval_passes,
    after_requests,
    assert_one_outage_line,
    attempts_spent,
    bump_titles,
    edit_wakes_worker,
    queue_rows,
    recovers_on_next_hook,
)
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld
from validation.settings_table import SETTINGS_BY_KEY


def test_plex_token_revoked_mid_run(chaos_world: Callable[..., ChaosWorld], tally: Tally) -> None:
    scenes, revocations = pick(50, 300), pick(1, 3)
    tally.area = "outage"
    tally.scenario = f"Plex token revoked mid-run x{revocations}, {scenes:,} scenes"
    rng = random.Random(95)
    world = chaos_world(scenes=scenes, seed=95)
    matchable = world.matchable()

    for episode in range(revocations):
        if episode:
            bump_titles(world, matchable, f"t{episode}")
        before = sum(1 for r in world.plex.log.records if r.status == 401)
        trigger = after_requests(world.plex.log, rng.randint(10, 25), world.plex.revoke_token)
        run = world.run("sync_all")
        trigger.join()
        tally.faults += 1
        assert_one_outage_line(run, "token rejected")
        # Bounded: the request that met the revoked token and its probe read, for each scene
        # in flight at once (plex_parallel_writes, 4 by default), not one per scene.
        in_flight = SETTINGS_BY_KEY["plex_parallel_writes"].default
        assert sum(1 for r in world.plex.log.records if r.status == 401) - before <= 2 * in_flight
        assert set(queue_rows(world)) & set(matchable)
        assert attempts_spent(world) == {} and wrongly_failed(world.data_dir) == []
        assert Circuit(world.data_dir).state().reason_class == "token_rejected"

        status = world.run("status")
        assert status.exit_code == 0
        assert any("token rejected" in line for line in status.messages("warning"))
        health = world.run("health_check")
        assert health.output["ready"] is False
        checks = {c["name"]: c for c in health.output["checks"]}
        assert checks["plex_token"]["status"] == "fail"
        assert "token rejected" in checks["plex_token"]["line"]
        assert "token rejected" in checks["circuit"]["line"]

        # Edits go on being recorded; none starts a worker that would only be refused again.
        assert edit_wakes_worker(world, matchable[0], f"Edited while refused {episode}") is None
        a_probe_interval_passes(world)
        refused = edit_wakes_worker(world, matchable[1], f"Edited, still refused {episode}")
        assert refused is not None
        assert_one_outage_line(refused, "token rejected")
        assert attempts_spent(world) == {}

        # The user puts a new token in the settings; the next edit's worker syncs everything.
        token = distinctive("PlexToken")
        world.plex.set_token(token)
        world.sandbox.configure_plugin(plex_token=token)
        recovers_on_next_hook(world, matchable[2], f"Edited after the fix {episode}")

    world.measure(tally)
    assert tally.clean, tally.summary()
