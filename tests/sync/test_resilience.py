"""Stale keys and Plex failures: re-resolve a gone item, block on an unreachable Plex, retry
a 5xx, fail a refused request; nothing is lost or written twice."""

from __future__ import annotations

from collections.abc import Callable

from base.status import SceneStatus, Treatment
from sandbox.httpd import Fault
from tests.sync.conftest import EDIT, FETCH, LISTING, SECTIONS, SyncWorld
from tests.sync.helpers import only_item, pick


def _readd(world: SyncWorld, scene_id: int) -> int:
    """Plex deletes the scene's item and scans its file again: a new ratingKey."""
    old = only_item(world, scene_id)
    sizes = {p.file: p.size for m in old.media for p in m.parts}
    world.plex.remove_item(old.rating_key)
    new = world.plex.add_item(
        old.section_id, [[p.file for p in m.parts] for m in old.media], sizes=sizes
    )
    return int(new.rating_key)


def test_a_gone_key_is_dropped_and_the_scene_found_again(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=31)
    sid = pick(world)
    world.run([sid])
    new_key = _readd(world, sid)

    run = world.run([sid])

    assert run.outcomes[sid].status is SceneStatus.SYNCED
    state = world.sync_state.get(sid)
    assert state is not None and [rk for _, rk in state.targets] == [new_key]
    assert world.plex.item(new_key).title == world.generated.stash.scenes[sid].title
    # stored key (404) → one refresh (sections + listings) → fetch of the new key → write
    # → the post-write fetch of the new key (issue 15: its baseline)
    assert run.plex[FETCH] == 3 and run.plex[SECTIONS] == 1 and run.plex[LISTING] >= 2


def test_a_key_playing_another_file_is_not_trusted(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=120, seed=32)
    sid, other = pick(world), pick(world, state="foreign")
    world.run([sid])
    item = only_item(world, sid)
    mine = [p.file for m in item.media for p in m.parts]
    # Plex re-used the key for another file, and the scene's file got an item of its own.
    item.media[0].parts[0].file = only_item(world, other).media[0].parts[0].file + ".old"
    fresh = world.plex.add_item(item.section_id, mine)

    run = world.run([sid])

    assert run.outcomes[sid].status is SceneStatus.SYNCED
    assert world.sync_state.get(sid).targets == ((item.section_id, fresh.rating_key),)  # type: ignore[union-attr]
    assert fresh.title == world.generated.stash.scenes[sid].title


def test_plex_going_down_mid_batch_blocks_the_rest_untouched(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=33)
    ids = sorted(world.truth.plex_empty - world.truth.no_cover - world.truth.no_metadata)[:5]
    world.run(ids)  # everything synced once
    for sid in ids:
        world.generated.stash.scenes[sid].title = f"Changed {sid}"
    world.plex.knobs.add_fault(Fault("reset", method="PUT", skip=2, count=None))

    run = world.run(ids, plex_parallel_writes=1)  # in order (parallel: test_parallel.py)

    statuses = [run.outcomes[sid].status for sid in ids]
    assert statuses[:2] == [SceneStatus.SYNCED] * 2
    assert statuses[2:] == [SceneStatus.PLEX_UNREACHABLE] * 3
    assert {run.outcomes[sid].treatment for sid in ids[2:]} == {Treatment.BLOCK}
    for sid in ids[:2]:
        assert only_item(world, sid).title == f"Changed {sid}"
    for sid in ids[2:]:
        assert only_item(world, sid).title != f"Changed {sid}"


def test_a_5xx_retries_one_scene_and_a_400_fails_it(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=120, seed=34)
    ids = sorted(world.truth.plex_empty - world.truth.no_cover - world.truth.no_metadata)[:3]
    world.plex.knobs.add_fault(Fault("status", status=503, method="PUT", count=1))
    # Plex refuses every edit of the second scene's item (a 400 that a resend would cure is
    # no refusal: the writer retries a refused edit field by field).
    world.plex.refuse_edits = {(only_item(world, ids[1]).rating_key, None): 400}

    # One request at a time: a 503 amid parallel requests is sent again (test_parallel.py).
    run = world.run(ids, plex_parallel_writes=1)

    first, second, third = (run.outcomes[sid] for sid in ids)
    assert first.status is SceneStatus.PLEX_ERROR
    assert second.status is SceneStatus.PLEX_REFUSED
    assert "400" in second.message and world.plex.token not in second.message
    assert third.status is SceneStatus.SYNCED
    assert world.sync_state.get(ids[0]) is None  # nothing recorded for a failed write

    again = world.run(ids[:1])
    assert again.outcomes[ids[0]].status is SceneStatus.SYNCED and again.plex[EDIT] == 1


def test_a_rejected_token_blocks_the_batch(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=120, seed=35)
    ids = sorted(world.truth.plex_empty - world.truth.no_metadata)[:3]
    world.plex.revoke_token()

    run = world.run(ids)

    assert {(o.status, o.treatment) for o in run.outcomes.values()} == {
        (SceneStatus.TOKEN_REJECTED, Treatment.BLOCK)
    }
    assert world.plex.token not in " ".join(o.message for o in run.outcomes.values())
