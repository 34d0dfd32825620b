"""Changes that fire no scene hook reach exactly their scenes: a rename, a delete, a merge.

One synced world for the module (560 scenes; performer 9999 added to exactly 500 of them;
covers off so the first sync is quick). Each test changes Stash through the emulator's
GraphQL (the plugin's real hook runs through the harness inside the mutation), then runs
"Process Queue" twice in this process: first with `paused` on, so only the inbox is moved
(what the expansion queued and which Stash requests it made are seen alone), then for real.
Each test leaves the queue empty for the next.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.stash import connect_stash
from sandbox.httpd import Fault
from sandbox.model import StashPerformer
from sync_queue.inbox import Inbox
from tests.entities.world import (
    FIND_SCENES,
    UPLOADS,
    EntityWorld,
    start_entity_world,
)
from worker.services import WorkerServices

PERFORMER = 9999
USED_BY = 500


def _give_performer_to_500_scenes(stash) -> None:  # type: ignore[no-untyped-def]
    stash.add_performer(StashPerformer(PERFORMER, "Original Star"))
    for scene_id in sorted(stash.library.scenes)[:USED_BY]:
        scene = stash.library.scenes[scene_id]
        # First in the list: within the 200 actors pushed even for the one heavy scene.
        scene.performer_ids = [PERFORMER, *scene.performer_ids]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EntityWorld]:
    data_dir = tmp_path_factory.mktemp("entities") / "data"
    synced = start_entity_world(
        data_dir,
        560,
        seed=7,
        prepare=_give_performer_to_500_scenes,
        skip_poster=True,
        skip_background=True,
    )
    yield synced
    synced.stop()


def _expand_then_process(world: EntityWorld) -> tuple[set[int], int, dict]:
    """(scenes queued by the expansion, its findScenes requests, the processing summary)."""
    world.sandbox.configure_plugin(paused=True)
    world.stash.log.clear()
    moved = world.run_task("process_queue")
    assert moved.exit_code == 0, moved.error
    find_scenes = world.stash.log.count(FIND_SCENES)  # client construction is other routes
    assert moved.output["entity_requests"] == find_scenes
    queued = world.queued()
    world.sandbox.configure_plugin(paused=False)
    world.plex.log.clear()
    done = world.run_task("process_queue")
    assert done.exit_code == 0, done.error
    assert done.output["remaining"] == 0 and done.output["failed"] == 0
    assert world.queued() == set()
    return queued, find_scenes, done.output


def _item_tags(world: EntityWorld, scene_ids: set[int], kind: str) -> list[list[str]]:
    return [world.plex.item(rk).tags.get(kind, []) for rk in world.targets(scene_ids)]


def test_renaming_a_performer_of_500_scenes_rewrites_exactly_their_items(
    world: EntityWorld,
) -> None:
    affected = world.scenes_with("performer_ids", PERFORMER)
    assert len(affected) == USED_BY
    assert all("Original Star" in tags for tags in _item_tags(world, affected, "actor"))

    world.graphql(
        "mutation Rename($input: PerformerUpdateInput!) { performerUpdate(input: $input) { id } }",
        {"input": {"id": str(PERFORMER), "name": "Renamed Star"}},
    )
    (hook,) = world.hook_runs("Performer.Update.Post")
    assert hook.ok and hook.output["recorded"] is True, hook.stderr
    assert hook.messages("warning") == []

    queued, find_scenes, summary = _expand_then_process(world)
    assert queued == affected  # exactly those 500
    assert find_scenes <= 3
    assert summary["synced"] == USED_BY
    assert world.written() == world.targets(affected)  # every item of theirs, no other
    assert sum(world.plex.log.count(route) for route in UPLOADS) == 0
    for tags in _item_tags(world, affected, "actor"):
        assert "Renamed Star" in tags and "Original Star" not in tags


def test_a_rating_click_on_the_performer_records_nothing(world: EntityWorld) -> None:
    world.graphql(
        "mutation Rate($input: PerformerUpdateInput!) { performerUpdate(input: $input) { id } }",
        {"input": {"id": str(PERFORMER), "rating100": 80}},
    )
    hook = world.hook_runs("Performer.Update.Post")[-1]
    assert hook.ok and hook.output["recorded"] is False
    queued, find_scenes, summary = _expand_then_process(world)
    assert (queued, find_scenes, summary["processed"], world.written()) == (set(), 0, 0, set())


def _tag_outside_the_heavy_scene(world: EntityWorld, skip: set[int]) -> int:
    """A tag of 5-40 scenes, none of them the scene with 220 tags (beyond the 200 pushed)."""
    heavy = world.truth.heavy
    for tag_id in sorted(world.library.tags):
        scenes = world.scenes_with("tag_ids", tag_id)
        if tag_id not in skip and 5 <= len(scenes) <= 40 and not scenes & heavy:
            return tag_id
    raise AssertionError("no suitable tag in the generated library")


def test_deleting_a_tag_reaches_exactly_its_scenes(world: EntityWorld) -> None:
    tag_id = _tag_outside_the_heavy_scene(world, set())
    name = world.library.tags[tag_id].name
    affected = world.scenes_with("tag_ids", tag_id)

    world.graphql(
        "mutation Drop($input: TagDestroyInput!) { tagDestroy(input: $input) }",
        {"input": {"id": str(tag_id)}},
    )
    assert world.hook_runs("Tag.Destroy.Post")[-1].ok

    queued, find_scenes, summary = _expand_then_process(world)
    assert queued == affected
    assert find_scenes == 0  # from our sync state: Stash no longer knows the tag
    assert summary["synced"] == len(affected)
    assert world.written() == world.targets(affected)
    assert all(
        name.casefold() not in map(str.casefold, g) for g in _item_tags(world, affected, "genre")
    )


def test_merging_two_tags_reaches_exactly_their_scenes(world: EntityWorld) -> None:
    source = _tag_outside_the_heavy_scene(world, set())
    destination = _tag_outside_the_heavy_scene(world, {source})
    source_name = world.library.tags[source].name
    destination_name = world.library.tags[destination].name
    had_source = world.scenes_with("tag_ids", source)
    had_either = had_source | world.scenes_with("tag_ids", destination)

    world.graphql(
        "mutation Merge($input: TagsMergeInput!) { tagsMerge(input: $input) { id } }",
        {"input": {"source": [str(source)], "destination": str(destination)}},
    )
    assert world.hook_runs("Tag.Merge.Post")[-1].ok

    queued, find_scenes, summary = _expand_then_process(world)
    assert queued == had_either  # the source's from sync state, the destination's from Stash
    assert find_scenes == 1
    # Only the items that showed the merged-away tag change; the others are left unwritten.
    assert world.written() == world.targets(had_source)
    assert summary["synced"] == len(had_source)
    for genres in _item_tags(world, had_source, "genre"):
        folded = [g.casefold() for g in genres]
        assert destination_name.casefold() in folded and source_name.casefold() not in folded


def test_stash_failing_during_the_expansion_keeps_the_change_for_the_next_run(
    world: EntityWorld,
) -> None:
    world.graphql(
        "mutation Rename($input: PerformerUpdateInput!) { performerUpdate(input: $input) { id } }",
        {"input": {"id": str(PERFORMER), "name": "Third Name"}},
    )

    def failing_after_connecting(ctx):  # type: ignore[no-untyped-def]
        gateway = connect_stash(ctx)  # constructed fine, then Stash starts failing
        world.stash.knobs.add_fault(Fault(action="status", status=503, path_regex="^/graphql"))
        return gateway

    try:
        failed = world.run_task(
            "process_queue", WorkerServices(stash_factory=failing_after_connecting)
        )
    finally:
        world.stash.knobs.clear_faults()
    assert failed.exit_code == 1 and "503" in (failed.error or "")
    assert failed.output is None and world.queued() == set()
    with Inbox(world.data_dir) as inbox:
        assert [(row.kind, row.ref_id) for row in inbox.rows()] == [("performer", PERFORMER)]

    queued, find_scenes, summary = _expand_then_process(world)
    assert queued == world.scenes_with("performer_ids", PERFORMER) and find_scenes == 1
    assert summary["synced"] == USED_BY
