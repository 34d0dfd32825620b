"""Plex → Stash activity end to end (issue 18's "Done when"): plays, resume points and
ratings come back exactly once, repeats add nothing, a scene synced later gets its earlier
views, and nothing loops (0 Plex writes after the pull, the catch-up finds nothing).

Both emulators with the real plexapi/stashapi-facing plugin code: the set-up's Sync All and
the pulls run in this process (`sandbox.inprocess.run_in_process`); hooks fired by our rating
writes run the real Stash2Plex.py through the harness.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync_queue.sync_state import SyncStateStore
from tests.entities.world import EntityWorld, start_entity_world

HISTORY = "GET /status/sessions/history/all"
LISTING = "GET /library/sections/{id}/all"
EDIT = "PUT /library/sections/{id}/all"
STASH_WRITES = ("sceneAddPlay", "sceneSaveActivity", "sceneUpdate", "sceneIncrementPlayCount")
SCENE = "query($id: ID!) { findScene(id: $id) { play_count %s resume_time rating100 } }"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[EntityWorld]:
    world = start_entity_world(
        tmp_path / "data",
        scenes=8,
        seed=18,
        skip_poster=True,
        skip_background=True,
        pull_plays=True,
        pull_ratings=True,
    )
    try:
        yield world
    finally:
        world.stop()


def _scene(world: EntityWorld, sid: int, history: bool = True) -> dict[str, Any]:
    query = SCENE % ("play_history" if history else "")
    return world.graphql(query, {"id": str(sid)})["findScene"]


def _epochs(texts: list[str]) -> list[int]:
    from base.timestamps import parse_rfc3339

    return sorted(int(parse_rfc3339(t) or 0) for t in texts)


def _routes(world: EntityWorld) -> list[str]:
    return [r.route for r in world.plex.log.records]


def test_pull_brings_plays_resume_and_ratings_once(world: EntityWorld) -> None:
    sids = sorted(world.truth.scenes)
    rk = {sid: world.truth.scenes[sid].targets[0][1] for sid in sids}
    s1, s2, s3, s4, s5, s6, s7 = sids[:7]
    activity = world.plex.activity
    t0 = int(time.time()) - 5000
    # The first scene's file is in two Plex items (two sections): plays of either count.
    other = world.truth.scenes[s1].targets[1][1]
    activity.watch_once(rk[s1], at=t0 + 10)
    activity.watch_once(other, at=t0 + 20)
    activity.watch_once(rk[s2], at=t0 + 20)  # the same second as another view
    activity.progress(rk[s3], 600_000, at=t0 + 40)
    activity.rate(rk[s4], 7.5)
    activity.rate(rk[s5], 3.0)
    world.graphql(
        "mutation($id: ID!) { sceneUpdate(input: {id: $id, rating100: 90}) { id } }",
        {"id": str(s5)},
    )
    activity.accounts[2] = "guest"
    activity.watch_once(rk[s6], account=2, at=t0 + 50)
    # A scene not synced yet: its view is stored now and delivered once it is synced.
    with SyncStateStore(world.data_dir) as store:
        assert store.forget(s7)
    activity.watch_once(rk[s7], at=t0 + 60)

    world.plex.log.clear()
    first = world.run_task("pull_activity")
    assert first.exit_code == 0, first.messages()[-5:]
    # Our rating write moved the scene's updated_at: the catch-up right after the pull must
    # not take it for a change made in Stash.
    assert first.output["caught_up"] == 0, first.output
    # Plex writes: only Stash's rating going back to the fifth item (the fourth scene's own
    # hook, processed in the same run, finds its item converged).
    assert world.written() == {rk[s5]}
    pulled = first.output["pull"]
    assert pulled["plays_added"] == 3 and pulled["ratings_pulled"] == 1, pulled
    assert _epochs(_scene(world, s1)["play_history"]) == [t0 + 10, t0 + 20]
    assert _scene(world, s1)["play_count"] == 2
    assert _epochs(_scene(world, s2)["play_history"]) == [t0 + 20]
    assert _scene(world, s3)["resume_time"] == 600.0 and _scene(world, s3)["play_count"] == 0
    assert _scene(world, s4)["rating100"] == 75
    assert _scene(world, s5)["rating100"] == 90  # Stash wins ...
    assert world.plex.item(rk[s5]).user_rating == 9.0  # ... and Plex gets it back
    assert _scene(world, s6)["play_count"] == 0  # an account not configured
    assert _scene(world, s7)["play_count"] == 0
    # The run's line names the few scenes; View Status tells when and what.
    said = "\n".join(first.messages())
    assert "Pull Plex Activity: 3 plays added, 1 resume point set" in said
    assert f"{s1} " in said.split("Pull Plex Activity: 3 plays added")[1]
    status = "\n".join(world.run_task("status").messages())
    assert "Plex activity: last pulled" in status and "3 plays, 1 resume point set" in status

    # Repeats add nothing and write nothing to Plex; the catch-up finds no work in our own
    # rating write (its hook's inbox row is processed: no Plex write either).
    for _ in range(2):
        world.plex.log.clear()
        world.stash.log.clear()
        again = world.run_task("process_queue")
        assert again.exit_code == 0, again.messages()[-5:]
        assert again.output["caught_up"] == 0, again.output
        assert again.output["pull"]["plays_added"] == 0
        assert again.output["pull"]["ratings_pulled"] == 0
        assert EDIT not in _routes(world)
        stash_routes = {r.route for r in world.stash.log.records}
        assert not stash_routes & {f"graphql:{m}" for m in STASH_WRITES}, stash_routes
        # Cost with nothing new: one history request, one in-progress and one rated listing
        # per synced section.
        sections = {s for sid in sids for s, _ in world.truth.scenes[sid].targets}
        assert _routes(world).count(HISTORY) == 1
        assert _routes(world).count(LISTING) == 2 * len(sections)
    assert _scene(world, s1)["play_count"] == 2 and _scene(world, s4)["rating100"] == 75

    # Watched to the end later: one more play, the resume point cleared; a rating cleared in
    # Plex is cleared in Stash.
    activity.watch_once(rk[s3], at=t0 + 70)
    activity.rate(rk[s4], None)
    later = world.run_task("pull_activity").output["pull"]
    assert (later["plays_added"], later["resume_cleared"], later["ratings_pulled"]) == (1, 1, 1)
    assert _scene(world, s3)["resume_time"] == 0 and _scene(world, s3)["play_count"] == 1
    assert _scene(world, s4)["rating100"] is None

    # A run killed after sceneAddPlay and before its bookkeeping: the views are pending
    # again; the next pull reads play_history and adds nothing twice.
    conn = sqlite3.connect(world.data_dir / "sync_state.db")
    with conn:
        conn.execute("UPDATE plex_view SET delivered = 0")
    conn.close()
    assert world.run_task("pull_activity").output["pull"]["plays_added"] == 0
    assert _scene(world, s1)["play_count"] == 2 and _scene(world, s2)["play_count"] == 1
    assert _scene(world, s3)["play_count"] == 1

    # The scene synced after the first pull gets its earlier view, with no extra request.
    assert world.run_task("sync_all").exit_code == 0
    assert _scene(world, s7)["play_count"] == 0  # its pull ran before it was synced
    world.plex.log.clear()
    late = world.run_task("pull_activity")
    assert late.output["pull"]["plays_added"] == 1
    assert _epochs(_scene(world, s7)["play_history"]) == [t0 + 60]
    assert _routes(world).count(HISTORY) == 1


def test_v024_sets_the_absolute_play_count(tmp_path: Path) -> None:
    from sandbox.generator import GeneratorOptions
    from sandbox.generator.options import MATCHED_ONLY
    from sandbox.world import start_sandbox

    options = GeneratorOptions(scenes=4, seed=24, **MATCHED_ONLY)  # type: ignore[arg-type]
    data = tmp_path / "data"
    sandbox = start_sandbox(options, data_dir=data, run_jobs_inline=False, stash_release="v0.24.3")
    world = EntityWorld(sandbox, data)
    try:
        sandbox.configure_plugin(skip_poster=True, skip_background=True)
        off = world.run_task("pull_activity")
        assert off.exit_code == 0 and "turn on 'pull_plays'" in "\n".join(off.messages())
        sandbox.configure_plugin(skip_poster=True, skip_background=True, pull_plays=True)
        assert world.run_task("sync_all").exit_code == 0
        sid = min(world.truth.scenes)
        rk = world.truth.scenes[sid].targets[0][1]
        t0 = int(time.time()) - 100
        world.plex.activity.watch_once(rk, at=t0)
        world.plex.activity.watch_once(rk, at=t0 + 1)
        for _ in range(2):
            assert world.run_task("pull_activity").exit_code == 0
            assert _scene(world, sid, history=False)["play_count"] == 2
        # Killed between the play_count write and its bookkeeping: the intent is kept.
        conn = sqlite3.connect(data / "sync_state.db")
        with conn:
            conn.execute("UPDATE plex_view SET delivered = 0")
            conn.execute("INSERT INTO plex_play_count VALUES (?, 0, 2)", (sid,))
        conn.close()
        assert world.run_task("pull_activity").exit_code == 0
        assert _scene(world, sid, history=False)["play_count"] == 2
    finally:
        world.stop()
