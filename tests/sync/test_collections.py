"""Groups and studios as Plex collections (issue 19), as Stash runs the plugin against both
emulators: Sync All gives the collections we own the group's synopsis, front image and
scene_index order, the studio's image and details, never a placeholder; hand-made
collections (one named like a studio) and a summary edited by hand stay untouched; later
changes write only what changed.

A small library built by hand on top of the generator's files: 12 scenes, every one matched
to an empty Plex item. Each run is `plugin.app.run` in this process
(`sandbox.inprocess.run_in_process`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin.entity_hooks import plan_entity_event
from runtime.invocation import HookEvent
from sandbox.generator import GeneratorOptions
from sandbox.generator.options import FIRST_SYNC_ONLY, SectionSpec, default_sections
from sandbox.images import jpeg_bytes
from sandbox.inprocess import run_in_process
from sandbox.model import StashGroup, StashStudio
from sandbox.plex_emu.collections import EmuCollection, add_collection, find, members
from sandbox.stash_emu.releases import LATEST
from sandbox.world import Sandbox, start_sandbox
from stash.client import StashGateway

GROUP_IMAGE = jpeg_bytes("group front")
STUDIO_IMAGE = jpeg_bytes("studio one")
TYPE18_EDIT = "PUT /library/sections/{id}/all"
PLEX_WRITES = ("PUT", "POST", "DELETE")
MOVE = "PUT /library/collections/{rk}/items/{id}/move"


def _options(release_scenes: int = 12) -> GeneratorOptions:
    return GeneratorOptions(
        scenes=release_scenes,
        seed=19,
        **FIRST_SYNC_ONLY,  # type: ignore[arg-type]
        sections=(SectionSpec("Movies", ("Movies",)),),
    )


class World:
    """The sandbox plus the scene ids of each planted case."""

    def __init__(self, sandbox: Sandbox, data_dir: Path) -> None:
        self.sandbox = sandbox
        self.data_dir = data_dir
        lib = sandbox.generated.stash
        extras = sandbox.stash.state.extras
        ids = sorted(lib.scenes)
        # One target per scene, in one section: the order and section are under test.
        self.section = self.target(ids[0])[0]
        ids = [sid for sid in ids if self.target(sid)[0] == self.section]
        assert len(ids) >= 9, "the generator's seed puts too few scenes in one section"
        lib.studios.clear()
        lib.groups.clear()
        lib.studios[1] = StashStudio(1, "Studio One", image=STUDIO_IMAGE)
        lib.studios[2] = StashStudio(2, "Studio Two")  # no image: Stash serves a placeholder
        lib.studios[3] = StashStudio(3, "Studio Three")
        extras.set("studio", 1, details="Studio one makes things.")
        extras.set("studio", 2, details="Studio two details.")
        lib.groups[1] = StashGroup(1, "The Saga")
        lib.groups[2] = StashGroup(2, "Second Series")
        extras.set("group", 1, synopsis="A saga in four parts.", front_image=GROUP_IMAGE)
        extras.set("group", 2, synopsis="Another one.")  # no front image: placeholder
        self.saga = ids[:4]
        self.series = ids[4:6]
        self.three = ids[6:9]
        # scene_index against the title order: 3, 1, 4, 2 -> order saga[1], saga[3], ...
        for sid, index, title in zip(self.saga, (3, 1, 4, 2), "ABCD", strict=True):
            scene = lib.scenes[sid]
            scene.title, scene.studio_id, scene.groups = f"{title} part", 1, [(1, index)]
        for sid, index in zip(self.series, (2, 1), strict=True):
            lib.scenes[sid].studio_id, lib.scenes[sid].groups = 2, [(2, index)]
        for sid in self.three:
            lib.scenes[sid].studio_id, lib.scenes[sid].groups = 3, []
        for sid in ids[9:]:
            lib.scenes[sid].studio_id, lib.scenes[sid].groups = None, []
        for sid in ids:
            lib.scenes[sid].organized = True
        # Made by hand in Plex before any sync: one named like studio 3, one unrelated.
        plex = sandbox.plex
        self.hand_three = add_collection(
            plex, self.section, "Studio Three", [self.target(self.three[0])[1]], "Curated by me"
        )
        self.hand_other = add_collection(plex, self.section, "My Favourites", [], "Mine")

    def target(self, sid: int) -> tuple[int, int]:
        (target,) = self.sandbox.generated.truth.scenes[sid].targets
        return target

    def run(self, mode: str = "sync_all") -> Any:
        payload = self.sandbox.harness.stdin_payload({"mode": mode})
        result = run_in_process(payload, self.data_dir)
        assert result.ok, (mode, result.error, result.stderr[-3000:])
        return result

    def coll(self, title: str) -> EmuCollection:
        found = find(self.sandbox.plex, self.section, title)
        assert found is not None, title
        return found

    def order(self, title: str) -> list[int]:
        state = self.sandbox.plex.state
        with state.library.lock:
            return [i.rating_key for i in members(state, self.coll(title))]

    def items(self, sids: list[int]) -> list[int]:
        return [self.target(sid)[1] for sid in sids]

    def gql(self, query: str, variables: dict[str, Any]) -> None:
        """A mutation as the Stash UI sends it (bumps updated_at, like Stash)."""
        with StashGateway.from_server_connection(self.sandbox.stash.connection()) as gateway:
            gateway.call(query, variables)

    def plex_writes(self) -> list[Any]:
        return [r for r in self.sandbox.plex.log.records if r.method in PLEX_WRITES]


def _poster(coll: EmuCollection) -> bytes | None:
    chosen = next((p for p in coll.posters if p.rating_key == coll.selected_poster), None)
    return None if chosen is None else chosen.data


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    release = getattr(request, "param", LATEST)
    sandbox = start_sandbox(
        _options(), data_dir=tmp_path / "data", run_jobs_inline=False, stash_release=release
    )
    try:
        built = World(sandbox, tmp_path / "data")
        yield built
    finally:
        sandbox.stop()


def test_sync_all_describes_our_collections_and_leaves_hand_made_ones(world: World) -> None:
    world.run()
    saga = world.coll("The Saga")
    assert saga.summary == "A saga in four parts." and _poster(saga) == GROUP_IMAGE
    assert saga.sort == 2
    saga_items = world.items(world.saga)
    assert world.order("The Saga") == [saga_items[i] for i in (1, 3, 0, 2)]  # scene_index
    series = world.coll("Second Series")
    assert series.summary == "Another one." and series.posters == []  # placeholder: none
    assert world.order("Second Series") == world.items(world.series)[::-1]
    one = world.coll("Studio One")
    assert one.summary == "Studio one makes things." and _poster(one) == STUDIO_IMAGE
    two = world.coll("Studio Two")
    assert two.summary == "Studio two details." and two.posters == []
    assert one.sort == 0 and two.sort == 0  # studios keep Plex's order
    # Hand-made: untouched, though studio 3's scenes joined the one named like it.
    three = world.coll("Studio Three")
    assert three.rating_key == world.hand_three
    assert (three.summary, three.posters, three.sort) == ("Curated by me", [], 0)
    assert sorted(world.order("Studio Three")) == sorted(world.items(world.three))
    other = world.coll("My Favourites")
    assert (other.summary, other.posters) == ("Mine", [])
    # No placeholder anywhere: every uploaded poster is one of the two real images.
    state = world.sandbox.plex.state
    uploaded = [p.data for c in state.collections.values() for p in c.posters]
    assert sorted(uploaded) == sorted([GROUP_IMAGE, STUDIO_IMAGE])

    # An unchanged re-sync writes nothing at all.
    world.sandbox.plex.log.clear()
    world.run()
    assert world.plex_writes() == []


def test_hand_edited_summary_is_kept_and_changes_write_only_their_collection(
    world: World,
) -> None:
    world.run()
    saga = world.coll("The Saga")
    poster_before = saga.selected_poster
    # The user edits Studio One's summary by hand in Plex.
    state = world.sandbox.plex.state
    with state.library.lock:
        world.coll("Studio One").summary = "My own words"
    update_group = "mutation G($input: GroupUpdateInput!) { groupUpdate(input: $input) { id } }"
    update_studio = "mutation S($input: StudioUpdateInput!) { studioUpdate(input: $input) { id } }"
    world.gql(update_studio, {"input": {"id": "1", "details": "New studio text"}})
    world.gql(update_group, {"input": {"id": "2", "synopsis": "Changed synopsis"}})
    world.sandbox.plex.log.clear()
    world.run()
    assert world.coll("Studio One").summary == "My own words"  # hand edit kept
    assert world.coll("Second Series").summary == "Changed synopsis"
    edits = [r for r in world.plex_writes() if r.route == TYPE18_EDIT]
    assert [dict(r.query)["id"] for r in edits] == [str(world.coll("Second Series").rating_key)]
    assert len(world.plex_writes()) == 1

    # One scene's scene_index: only its collection is reordered.
    scene_update = "mutation U($input: SceneUpdateInput!) { sceneUpdate(input: $input) { id } }"
    first = world.saga[1]  # index 1 -> 5: now last
    world.gql(
        scene_update,
        {"input": {"id": str(first), "groups": [{"group_id": "1", "scene_index": 5}]}},
    )
    world.sandbox.plex.log.clear()
    world.run()
    saga_items = world.items(world.saga)
    assert world.order("The Saga") == [saga_items[i] for i in (3, 0, 2, 1)]
    writes = world.plex_writes()
    assert writes and all(r.route == MOVE for r in writes)
    assert {r.path.split("/")[3] for r in writes} == {str(saga.rating_key)}

    # Renaming the group renames its collection and keeps its poster.
    world.gql(update_group, {"input": {"id": "1", "name": "The Great Saga"}})
    world.run()
    renamed = world.coll("The Great Saga")
    assert renamed.rating_key == saga.rating_key and renamed.selected_poster == poster_before
    assert find(world.sandbox.plex, world.section, "The Saga") is None
    assert world.order("The Great Saga") == [saga_items[i] for i in (3, 0, 2, 1)]


@pytest.mark.parametrize("world", ["v0.24.3"], indirect=True)
def test_movies_of_stash_v024_become_collections_the_same_way(world: World) -> None:
    # v0.24 to v0.26 have movies, not groups (stash.forms): `Scene.movies`, `findMovie`.
    world.run()
    saga = world.coll("The Saga")
    assert saga.summary == "A saga in four parts." and _poster(saga) == GROUP_IMAGE
    saga_items = world.items(world.saga)
    assert world.order("The Saga") == [saga_items[i] for i in (1, 3, 0, 2)]
    assert world.coll("Studio Two").posters == []  # its placeholder is never uploaded
    assert world.coll("Studio Three").summary == "Curated by me"


def test_skip_collection_details_leaves_collections_bare(world: World) -> None:
    world.sandbox.configure_plugin(skip_collection_details=True)
    world.run()
    saga = world.coll("The Saga")
    assert (saga.summary, saga.posters, saga.sort) == (None, [], 0)
    records = world.sandbox.plex.log.records
    assert not [r for r in records if "collections" in r.path or ("type", "18") in r.query]


def test_unlock_plex_fields_unlocks_collection_fields(world: World) -> None:
    world.run()
    assert {"summary", "thumb"} <= world.coll("The Saga").locked
    world.run("unlock_fields")
    assert world.coll("The Saga").locked == set() and world.coll("Studio One").locked == set()
    assert world.coll("Studio Three").locked == {"summary"}  # hand-made: the user's lock


def test_digest_of_images_differs() -> None:
    # The two planted images must differ, or the poster assertions above prove nothing.
    assert hashlib.sha1(GROUP_IMAGE).digest() != hashlib.sha1(STUDIO_IMAGE).digest()


def test_entity_hooks_record_what_a_collection_shows() -> None:
    """A synopsis, details or image edit records the entity (its scenes are then synced and
    its collection described); a rating click still records nothing."""

    def rows(trigger: str, *fields: str) -> tuple:
        return plan_entity_event(HookEvent(trigger, 2, {"id": "2"}, fields)).rows

    assert rows("Group.Update.Post", "synopsis", "id") == (("group", [2], False),)
    assert rows("Group.Update.Post", "front_image", "id") == (("group", [2], False),)
    assert rows("Studio.Update.Post", "details", "id") == (("studio", [2], False),)
    assert rows("Studio.Update.Post", "image", "id") == (("studio", [2], False),)
    assert rows("Group.Update.Post", "rating100", "id") == ()


def test_a_group_in_two_sections_gets_one_collection_per_section(tmp_path: Path) -> None:
    options = dataclasses.replace(_options(), sections=default_sections())
    sandbox = start_sandbox(options, data_dir=tmp_path / "data", run_jobs_inline=False)
    try:
        lib, truth = sandbox.generated.stash, sandbox.generated.truth
        twin = next(s for s in sorted(lib.scenes) if len(truth.scenes[s].targets) == 2)
        lib.groups.clear()
        lib.groups[1] = StashGroup(1, "Twin")
        sandbox.stash.state.extras.set("group", 1, synopsis="Both sides", front_image=GROUP_IMAGE)
        for sid, scene in lib.scenes.items():
            scene.groups = [(1, 1)] if sid == twin else []
        payload = sandbox.harness.stdin_payload({"mode": "sync_all"})
        assert run_in_process(payload, tmp_path / "data").ok
        found = [find(sandbox.plex, section, "Twin") for section, _ in truth.scenes[twin].targets]
        assert len({c.rating_key for c in found if c is not None}) == 2
        assert all(c is not None and c.summary == "Both sides" for c in found)
        assert all(c is not None and _poster(c) == GROUP_IMAGE for c in found)
    finally:
        sandbox.stop()


def test_a_collection_deleted_by_hand_is_described_again_when_plex_recreates_it(
    world: World,
) -> None:
    world.run()
    old = world.coll("The Saga").rating_key
    state = world.sandbox.plex.state
    with state.library.lock:  # deleted in Plex: gone, and its tag with it
        del state.collections[old]
        for item in state.library.items.values():
            item.tags["collection"] = [
                t for t in item.tags.get("collection", []) if t != "The Saga"
            ]
    world.run()  # the scene writes tag the items again; Plex makes a new collection
    again = world.coll("The Saga")
    assert again.rating_key != old
    assert again.summary == "A saga in four parts." and _poster(again) == GROUP_IMAGE
    saga_items = world.items(world.saga)
    assert world.order("The Saga") == [saga_items[i] for i in (1, 3, 0, 2)]


def test_a_group_wins_a_name_it_shares_with_a_studio_said_once(world: World) -> None:
    world.sandbox.generated.stash.groups[2].name = "Studio Two"  # the series' studio's name
    first = world.run()
    shared = world.coll("Studio Two")
    assert shared.summary == "Another one."  # the group's synopsis, not the studio's details
    assert shared.sort == 2 and world.order("Studio Two") == world.items(world.series)[::-1]
    again = world.run()
    lines = [
        line
        for run in (first, again)
        for line in run.stderr.splitlines()
        if "both a group and a studio" in line
    ]
    assert len(lines) == 1 and "'Studio Two'" in lines[0]
