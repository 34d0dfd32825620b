"""Writing rules end to end (SPEC §2.5): tag removal, locks, clearing, preserve_plex_edits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from base.status import SceneStatus
from tests.sync.conftest import ART, EDIT, FETCH, LISTING, POSTER, SyncWorld
from tests.sync.helpers import only_item, pick, update_scene


@pytest.mark.parametrize("tag_mode", ["append", "replace"])
def test_a_removed_tag_leaves_plex(make_world: Callable[..., SyncWorld], tag_mode: str) -> None:
    world = make_world(scenes=120, seed=2)
    world.plex.modes.tag_add_mode = tag_mode
    sid = pick(world, min_tags=3)
    scene = world.generated.stash.scenes[sid]
    assert world.run([sid]).outcomes[sid].status is SceneStatus.SYNCED
    names = [world.generated.stash.tags[t].name for t in scene.tag_ids]
    assert {g.casefold() for g in only_item(world, sid).tags["genre"]} == {
        n.casefold() for n in names
    }

    kept = scene.tag_ids[1:]
    update_scene(world, sid, tag_ids=[str(t) for t in kept])
    run = world.run([sid])

    item = only_item(world, sid)
    assert run.outcomes[sid].status is SceneStatus.SYNCED
    assert {g.casefold() for g in item.tags["genre"]} == {n.casefold() for n in names[1:]}
    assert "genre" in item.locked
    # A changed scene: one fetch, one edit, the cover re-checked (same bytes: no upload), and
    # the post-write fetch of the written item (issue 15: its baseline).
    assert run.plex == {FETCH: 2, EDIT: 1}


def test_every_written_field_and_image_is_locked(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=120, seed=3)
    sid = pick(world, min_tags=1, details=True)
    world.run([sid])
    item = only_item(world, sid)
    expected = {"title", "summary", "genre", "thumb", "art"}
    scene = world.generated.stash.scenes[sid]
    if scene.studio_id:
        expected |= {"studio", "collection"}
    if scene.performer_ids:
        expected.add("actor")
    if scene.date:
        expected.add("year")
    assert expected <= item.locked


def test_a_synced_item_that_lost_its_locks_is_locked_again(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=3)
    sid = pick(world)
    world.run([sid])
    item = only_item(world, sid)
    item.locked.clear()  # e.g. "Unlock all fields" in Plex

    run = world.run([sid])

    assert run.outcomes[sid].status is SceneStatus.SYNCED
    assert {"title", "thumb", "art"} <= item.locked
    # lock-only edit, no upload; then the post-write fetch (issue 15: the item's baseline)
    assert run.plex == {FETCH: 2, EDIT: 1}


def test_preserve_plex_edits_keeps_a_hand_edit_and_default_overwrites_it(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=4)
    sid = pick(world)
    world.run([sid])
    item = only_item(world, sid)
    pushed = item.title
    item.title = "Edited by hand in Plex"

    kept = world.run([sid], preserve_plex_edits=True)
    assert item.title == "Edited by hand in Plex"
    assert "title" in kept.outcomes[sid].message
    assert kept.plex[EDIT] == 0

    update_scene(world, sid, details="New details from Stash")  # another field still syncs
    kept = world.run([sid], preserve_plex_edits=True)
    assert item.title == "Edited by hand in Plex"
    assert item.summary == "New details from Stash"

    overwritten = world.run([sid])
    assert item.title == pushed
    assert overwritten.outcomes[sid].status is SceneStatus.SYNCED


def test_first_push_clears_nothing_and_a_later_push_clears_only_its_own(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=150, seed=6)
    sid = pick(world, state="foreign")
    item = only_item(world, sid)
    update_scene(world, sid, details="", rating100=None)  # Stash has no details, no rating
    agent_summary = item.summary
    assert agent_summary and not item.locked  # the agent's metadata

    assert world.run([sid]).outcomes[sid].status is SceneStatus.SYNCED
    assert item.summary == agent_summary  # first push: nothing cleared
    assert "summary" not in item.locked
    assert item.locked - {"thumb", "art"}  # while the scene's own fields were written

    update_scene(world, sid, details="Ours")
    world.run([sid])
    assert item.summary == "Ours"

    update_scene(world, sid, details="")
    world.run([sid])
    assert not item.summary  # pushed before, gone in Stash: cleared
    assert "summary" in item.locked

    item.summary = "Typed in Plex later"
    world.run([sid])
    assert item.summary == "Typed in Plex later"  # not ours any more: never cleared again


def test_unchanged_scene_costs_one_fetch_share_and_nothing_else(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=120, seed=7)
    sid = pick(world)
    world.run([sid])
    run = world.run([sid])
    assert run.outcomes[sid].status is SceneStatus.UNCHANGED
    assert run.plex == {FETCH: 1}
    assert LISTING not in run.plex and POSTER not in run.plex and ART not in run.plex
    assert "image:scene-screenshot" not in run.stash  # same cover URL: no download
