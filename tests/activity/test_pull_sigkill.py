"""A SIGKILL during a pull (Stash's Stop button), then another run: every Plex view is
exactly one Stash play. The real Stash2Plex.py runs as a process (the harness); the kill
lands right after the k-th `sceneAddPlay` was answered, before the pull's bookkeeping, and
once at a start-up instant. The next run reads `play_history` and adds only what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from base.timestamps import parse_rfc3339
from tests.entities.world import EntityWorld, start_entity_world
from tests.reliability.crash_support import killed, wait_for

ADD_PLAY = "graphql:sceneAddPlay"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[EntityWorld]:
    world = start_entity_world(
        tmp_path / "data", scenes=6, seed=81, skip_poster=True, skip_background=True
    )
    try:
        yield world
    finally:
        world.stop()


def test_sigkill_during_a_pull_adds_each_play_once(world: EntityWorld) -> None:
    world.sandbox.configure_plugin(skip_poster=True, skip_background=True, pull_plays=True)
    sids = sorted(world.truth.scenes)
    t0 = int(time.time()) - 10_000
    views: dict[int, list[int]] = {}
    for n, sid in enumerate(sids):
        rating_key = world.truth.scenes[sid].targets[0][1]
        views[sid] = [t0 + 10 * n, t0 + 10 * n + 5]
        for when in views[sid]:
            world.plex.activity.watch_once(rating_key, at=when)

    kills = 0
    for after_plays in (0, 1, 3):  # 0: at start-up, before anything was written
        before = world.stash.log.count(ADD_PLAY)
        running = world.sandbox.harness.start({"mode": "pull_activity"})
        if after_plays:
            target = before + after_plays
            wait_for(
                lambda r=running, t=target: (
                    world.stash.log.count(ADD_PLAY) >= t or not r.is_running()
                ),
                step=0.001,
            )
        else:
            time.sleep(0.05)
        running.kill()
        kills += killed(running.wait(timeout=120))
    assert kills >= 2  # the kills landed inside the pull, not after it
    clean = world.sandbox.harness.run({"mode": "pull_activity"}, timeout=120)
    assert clean.exit_code == 0, clean.stderr[-2000:]

    for sid in sids:
        found = world.graphql(
            "query($id: ID!) { findScene(id: $id) { play_count play_history } }", {"id": str(sid)}
        )["findScene"]
        times = sorted(int(parse_rfc3339(t) or 0) for t in found["play_history"])
        assert times == views[sid], sid
        assert found["play_count"] == 2
