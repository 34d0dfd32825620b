"""Parallel Plex writes (issue 20): the same requests, outcomes, sync state and Plex state as
one request at a time; overload never fails a scene; an outage still stops the run.

Each test runs the production step against both emulators; the Plex emulator's service-time
model (sandbox/plex_emu/service_time.py) gives requests a few milliseconds, so several are
really in flight together (`service.peak_in_flight`). Nothing here asserts a duration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from base.status import SceneStatus, Treatment
from demo.check import check_library
from sandbox.httpd import Fault
from tests.sync.conftest import EDIT, SyncWorld

SCENES = 40


def _slow(world: SyncWorld, **limits: Any) -> SyncWorld:
    service = world.plex.service
    service.round_trip_s, service.edit_s, service.upload_s = 0.002, 0.001, 0.004
    for name, value in limits.items():
        setattr(service, name, value)
    return world


def _plex_state(world: SyncWorld) -> dict[int, tuple[object, ...]]:
    return {
        rk: (
            item.title,
            item.summary,
            item.studio,
            item.originally_available_at,
            item.user_rating,
            {kind: sorted(names) for kind, names in item.tags.items()},
            sorted(item.locked),
            item.selected_poster,
            item.selected_art,
        )
        for rk, item in world.plex.library.items.items()
    }


def _stored(world: SyncWorld, ids: list[int]) -> dict[int, tuple[object, ...]]:
    """What was stored per scene; the cover URLs' fingerprints name each world's Stash port."""
    states = world.sync_state.get_many(ids)
    return {
        sid: (
            s.targets,
            {k: v for k, v in s.fingerprints.items() if not k.endswith("_url")},
            s.updated_at,
            s.entities,
        )
        for sid, s in states.items()
    }


def test_four_at_a_time_equals_one_at_a_time(make_world: Callable[..., SyncWorld]) -> None:
    one = _slow(make_world(scenes=SCENES, seed=120))
    four = _slow(make_world(scenes=SCENES, seed=120))
    ids = one.scene_ids()

    first = one.run(plex_parallel_writes=1, batch=20)
    parallel = four.run(plex_parallel_writes=4, batch=20)

    assert one.plex.service.peak_in_flight == 1
    assert four.plex.service.peak_in_flight > 1  # really in parallel
    assert parallel.plex == first.plex  # the same requests, route by route
    assert parallel.stash == first.stash
    assert {s: o.status for s, o in parallel.outcomes.items()} == {
        s: o.status for s, o in first.outcomes.items()
    }
    assert list(parallel.outcomes) == list(first.outcomes)  # recorded in the batch's order
    assert _stored(four, ids) == _stored(one, ids)
    assert _plex_state(four) == _plex_state(one)
    assert (
        check_library(four.generated, four.plex.library).problems[:3]
        == check_library(one.generated, one.plex.library).problems[:3]
    )
    # One Plex client whatever thread sent the request.
    assert len({r.headers.get("X-Plex-Client-Identifier") for r in four.plex.log.records}) == 1

    again = four.run(plex_parallel_writes=4, batch=20)  # converged: nothing to write
    assert again.plex[EDIT] == 0 and SceneStatus.SYNCED not in again.kinds()


def test_an_overloaded_plex_fails_no_scene(make_world: Callable[..., SyncWorld]) -> None:
    reference = make_world(scenes=SCENES, seed=121)
    world = _slow(make_world(scenes=SCENES, seed=121), max_in_flight=2)
    expected = reference.run(plex_parallel_writes=1)

    run = world.run(plex_parallel_writes=8)

    assert world.plex.service.overloaded > 0  # Plex did answer 503s
    assert {s: o.status for s, o in run.outcomes.items()} == {
        s: o.status for s, o in expected.outcomes.items()
    }
    assert SceneStatus.PLEX_ERROR not in run.kinds()
    assert _plex_state(world) == _plex_state(reference)


def test_plex_going_down_mid_batch_stops_the_parallel_run(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = _slow(make_world(scenes=120, seed=33))
    ids = [
        sid
        for sid in sorted(world.truth.plex_empty - world.truth.no_cover - world.truth.no_metadata)
        if len(world.truth.scenes[sid].targets) == 1  # one edit per scene
    ][:12]
    world.run(ids)
    before = _stored(world, ids)
    for sid in ids:
        world.generated.stash.scenes[sid].title = f"Changed {sid}"
    world.plex.knobs.add_fault(Fault("reset", method="PUT", skip=2, count=None))

    run = world.run(ids, plex_parallel_writes=4)

    synced = {sid for sid in ids if run.outcomes[sid].status is SceneStatus.SYNCED}
    assert len(synced) == 2  # the two edits Plex answered
    assert {run.outcomes[sid].treatment for sid in set(ids) - synced} == {Treatment.BLOCK}
    for sid in ids:
        (target,) = world.truth.scenes[sid].targets
        changed = world.item(target[1]).title == f"Changed {sid}"
        assert changed == (sid in synced)
    after = _stored(world, ids)
    assert {sid for sid in ids if after[sid] != before[sid]} == synced  # only those recorded


def test_a_plex_answering_503_to_every_write_stops_the_run(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = _slow(make_world(scenes=SCENES, seed=122))
    matched = sorted(world.truth.plex_empty - world.truth.no_metadata)
    for method in ("PUT", "POST"):
        world.plex.knobs.add_fault(Fault("status", status=503, method=method, count=None))

    run = world.run(plex_parallel_writes=4, batch=SCENES)

    outage = [o for o in run.outcomes.values() if o.status is SceneStatus.PLEX_ERROR]
    assert outage and {o.treatment for o in outage} == {Treatment.BLOCK}  # no attempt spent
    assert not any(o.treatment is Treatment.FAIL for o in outage)
    assert len([s for s in matched if s in run.outcomes]) < len(matched)  # stopped early
    writes = sum(n for route, n in run.plex.items() if route.startswith(("PUT", "POST")))
    # Concurrent failures are one outage event: the streak still trips after 5 events, the
    # limit halved down to one request at a time (4 + 2 + 1 ... in flight, each sent again
    # while it was crowded), far from one write per scene of the batch.
    assert writes < len(matched), writes
