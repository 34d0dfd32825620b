"""Convergence on what Plex stores (issue 15): post-write baselines and applied images.

Plex may normalise what an edit sends (the emulator's `normalise_values`: year from the date,
no `year` lock reported, ratings rounded); the post-write baseline makes an unchanged scene
cost 0 writes on every run while a hand edit in Plex is still seen. An image counts only when
Plex shows it selected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from base.status import SceneStatus
from sandbox.images import jpeg_bytes
from sandbox.plex_emu import images
from tests.sync.conftest import ART, EDIT, FETCH, POSTER, POSTERS_GET, SyncWorld
from tests.sync.helpers import only_item, pick, update_scene

WRITES = (EDIT, POSTER, ART)


@pytest.mark.parametrize("normalise", [False, True], ids=["default", "normalising"])
def test_two_unchanged_resyncs_in_a_row_send_no_writes(
    make_world: Callable[..., SyncWorld], normalise: bool
) -> None:
    world = make_world(scenes=20, seed=31)
    world.plex.normalise_values = normalise
    sid = pick(world)
    update_scene(world, sid, rating100=85, date="2019-04-03")  # 8.5: rounded when normalising

    first = world.run()
    assert first.plex[EDIT] > 0
    item = only_item(world, sid)
    if normalise:  # Plex really holds something other than what we sent
        assert item.user_rating == 9.0 and "year" not in item.locked and item.year == 2019
    else:
        assert item.user_rating == 8.5 and "year" in item.locked

    for _ in range(2):
        again = world.run()
        assert [again.plex[w] for w in WRITES] == [0, 0, 0], again.plex
        assert again.kinds()[SceneStatus.SYNCED] == 0


@pytest.mark.parametrize("normalise", [False, True], ids=["default", "normalising"])
def test_a_hand_edit_after_the_first_sync_is_kept_or_restored(
    make_world: Callable[..., SyncWorld], normalise: bool
) -> None:
    world = make_world(scenes=20, seed=32)
    world.plex.normalise_values = normalise
    sid = pick(world)
    update_scene(world, sid, rating100=85)
    world.run([sid])
    item = only_item(world, sid)
    pushed = item.user_rating
    item.user_rating = 2.0  # edited by hand in Plex

    kept = world.run([sid], preserve_plex_edits=True)
    assert item.user_rating == 2.0 and kept.plex[EDIT] == 0
    assert "userRating" in kept.outcomes[sid].message

    restored = world.run([sid])
    assert restored.outcomes[sid].status is SceneStatus.SYNCED
    assert item.user_rating == pushed and restored.plex[EDIT] == 1

    settled = world.run([sid])
    assert settled.plex == {FETCH: 1}


def test_an_upload_that_did_not_apply_is_sent_again(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=20, seed=33)
    sid = pick(world)
    world.plex.unapplied_uploads = 1  # Plex answers 200 but leaves the old poster selected

    run = world.run([sid])

    item = only_item(world, sid)
    cover = world.generated.stash.scenes[sid].cover
    assert run.outcomes[sid].status is SceneStatus.SYNCED
    assert item.selected_poster == f"upload://posters/{hashlib.sha1(cover).hexdigest()}"
    assert run.plex[POSTER] == 2 and run.plex[POSTERS_GET] == 2


def test_an_upload_that_never_applies_leaves_the_scene_for_a_retry(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=20, seed=34)
    sid = pick(world)
    world.plex.unapplied_uploads = 2

    failed = world.run([sid])
    assert failed.outcomes[sid].status is SceneStatus.PLEX_ERROR
    assert "did not apply" in failed.outcomes[sid].message

    retried = world.run([sid])
    assert retried.outcomes[sid].status is SceneStatus.SYNCED
    cover = world.generated.stash.scenes[sid].cover
    assert only_item(world, sid).selected_poster.endswith(hashlib.sha1(cover).hexdigest())


def _replace_poster_in_plex(world: SyncWorld, sid: int) -> str:
    item = only_item(world, sid)
    images.upload(world.plex.state, item, images.POSTERS, jpeg_bytes("chosen in Plex"), None)
    item.updated_at += 60  # the replacement happened later than our write
    return str(item.selected_poster)


@pytest.mark.parametrize("preserve", [False, True], ids=["restored", "kept"])
def test_a_poster_replaced_in_plex_is_pushed_again_or_kept(
    make_world: Callable[..., SyncWorld], preserve: bool
) -> None:
    world = make_world(scenes=20, seed=35)
    sid = pick(world)
    world.run([sid])
    ours = only_item(world, sid).selected_poster
    theirs = _replace_poster_in_plex(world, sid)

    run = world.run([sid], preserve_plex_edits=preserve)

    item = only_item(world, sid)
    assert item.selected_poster == (theirs if preserve else ours)
    assert run.plex[POSTER] == (0 if preserve else 1)
    assert run.plex[POSTERS_GET] == (1 if preserve else 2)  # the look, then the check
