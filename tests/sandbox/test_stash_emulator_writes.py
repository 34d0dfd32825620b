"""Stash emulator, write side: mutations, post hooks, plugin settings and the job queue.

Hooks go to a recording PluginRunner (the seam the harness fills in the sandbox); requests go
through loopback HTTP with the real stashapi. Expectations: stash.md §2.1 (hook input and
inputFields), §2.5 (synchronous, sequential hooks), §4 (settings), §7.7 (updated_at).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from stashapi.stashapp import StashInterface

from sandbox.httpd import wait_until
from sandbox.stash_emu import StashEmulator
from tests.sandbox import stash_fixtures
from tests.sandbox.stash_fixtures import PLUGIN_ID, T0, RecordingRunner, StashClock

stash_clock = stash_fixtures.stash_clock
stash_emu = stash_fixtures.stash_emu
stash_client = stash_fixtures.stash_client
stash_runner = stash_fixtures.stash_runner


def gql(emu: StashEmulator, query: str, variables: dict | None = None, **kw: Any) -> Any:
    body = {"query": query, "variables": variables or {}}
    return requests.post(emu.url + "/graphql", json=body, timeout=10, **kw).json()


# --- scene mutations and hooks ------------------------------------------------------------------


def test_scene_update_bumps_updated_at_and_fires_one_hook_with_full_input(
    stash_client: StashInterface,
    stash_emu: StashEmulator,
    stash_runner: RecordingRunner,
    stash_clock: StashClock,
) -> None:
    stash_clock.now = T0 + timedelta(days=2)
    assert stash_client.update_scene({"id": "1", "rating100": 60}) == "1"
    scene = stash_client.find_scene(1, fragment="rating100 updated_at title")
    assert scene == {"rating100": 60, "updated_at": "2025-01-03T12:00:00Z", "title": "Alpha"}
    ((trigger, hook_id, hook_input, fields),) = stash_runner.hooks
    assert (trigger, hook_id) == ("Scene.Update.Post", 1)
    assert sorted(fields or []) == ["id", "rating100"]
    assert isinstance(hook_input, dict)
    assert list(hook_input)[:3] == ["clientMutationId", "id", "title"]
    assert len(hook_input) == 24  # every SceneUpdateInput member, as Go marshals the struct
    assert hook_input["id"] == "1" and hook_input["rating100"] == 60
    assert hook_input["title"] is None and hook_input["groups"] is None
    # Nothing changed, still bumped (Stash always writes updated_at).
    stash_clock.now += timedelta(seconds=5)
    stash_client.update_scene({"id": "1"})
    assert stash_client.find_scene(1, fragment="updated_at")["updated_at"].endswith("12:00:05Z")


def test_bulk_update_runs_one_hook_per_scene_in_order_inside_the_request(
    stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    seen_during_hooks: list[list[str]] = []

    def inside_hook(trigger: str, hook_id: int) -> None:
        # A hook process asks Stash for the scene while the bulk request is still open.
        data = gql(stash_emu, f'{{ findScene(id: "{hook_id}") {{ tags {{ id }} }} }}')
        seen_during_hooks.append([t["id"] for t in data["data"]["findScene"]["tags"]])

    stash_runner.on_hook = inside_hook
    stash_emu.shuffle_input_fields = False
    body = gql(
        stash_emu,
        "mutation($input: BulkSceneUpdateInput!) { bulkSceneUpdate(input: $input) { id } }",
        {"input": {"ids": ["3", "1", "2"], "tag_ids": {"ids": ["1"], "mode": "ADD"}}},
    )
    assert body == {"data": {"bulkSceneUpdate": [{"id": "3"}, {"id": "1"}, {"id": "2"}]}}
    assert [(h[0], h[1]) for h in stash_runner.hooks] == [
        ("Scene.Update.Post", 3),
        ("Scene.Update.Post", 1),
        ("Scene.Update.Post", 2),
    ]
    inputs = [h[2] for h in stash_runner.hooks]
    assert inputs[0] == inputs[1] == inputs[2]
    assert inputs[0]["ids"] == ["3", "1", "2"]  # type: ignore[index]
    assert inputs[0]["tag_ids"] == {"ids": ["1"], "mode": "ADD"}  # type: ignore[index]
    assert inputs[0]["title"] is None  # type: ignore[index]
    assert stash_runner.hooks[0][3] == ["ids", "tag_ids"]
    assert seen_during_hooks == [["3", "1"], ["1", "2"], ["2", "1"]]  # committed before hooks
    assert len(stash_emu.hook_log) == 3


@pytest.mark.stash_surface
def test_entity_update_does_not_touch_scenes(
    stash_client: StashInterface, stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    before = stash_client.find_scene(1, fragment="updated_at")
    stash_client.update_performer({"id": "1", "name": "Ann B."})
    scene = stash_client.find_scene(1, fragment="updated_at performers { name }")
    assert scene["updated_at"] == before["updated_at"]
    assert scene["performers"][0]["name"] == "Ann B."
    assert [(h[0], h[1]) for h in stash_runner.hooks] == [("Performer.Update.Post", 1)]
    gql(stash_emu, 'mutation { groupUpdate(input: {id: "1", name: "Saga"}) { id } }')
    assert [h[0] for h in stash_runner.hooks[1:]] == ["Group.Update.Post", "Movie.Update.Post"]


def test_scene_destroy_hook_carries_primary_file(
    stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    body = gql(stash_emu, 'mutation { sceneDestroy(input: {id: "2", delete_generated: true}) }')
    assert body == {"data": {"sceneDestroy": True}}
    ((trigger, hook_id, hook_input, fields),) = stash_runner.hooks
    assert (trigger, hook_id, fields) == ("Scene.Destroy.Post", 2, None)
    assert isinstance(hook_input, dict)
    assert hook_input["path"] == "/media/videos/Beta_two.MKV"
    assert hook_input["delete_file"] is None and hook_input["delete_generated"] is True
    assert len(hook_input["oshash"]) == 16
    assert gql(stash_emu, '{ findScene(id: "2") { id } }') == {"data": {"findScene": None}}


def test_invalid_update_changes_nothing(
    stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    body = gql(
        stash_emu, 'mutation { sceneUpdate(input: {id: "1", title: "X", date: "May"}) { id } }'
    )
    assert "invalid date" in body["errors"][0]["message"]
    assert stash_emu.library.scenes[1].title == "Alpha"
    assert stash_runner.hooks == []


def test_hook_recursion_guard_stops_at_ten(stash_emu: StashEmulator) -> None:
    """A hook that re-saves its own scene with the cookie it got runs 10 levels deep."""
    depth: list[int] = []

    class SelfEditingRunner(RecordingRunner):
        def fire_hooks(self, trigger: str, hook_id: int, hook_input: object, fields: Any) -> None:
            cookie = stash_emu.hook_session(self.plugin_id, trigger)
            if cookie is None:
                return  # Stash skips the hook: loop guard
            depth.append(hook_id)
            gql(
                stash_emu,
                'mutation { sceneUpdate(input: {id: "5", organized: true}) { id } }',
                cookies={"session": cookie},
            )

    stash_emu.plugin_runner = SelfEditingRunner(stash_emu)
    gql(stash_emu, 'mutation { sceneUpdate(input: {id: "5", title: "Edited"}) { id } }')
    assert len(depth) == 10
    assert len(stash_emu.hook_log) == 11


# --- plugin settings ---------------------------------------------------------------------------


def test_plugin_settings_round_trip(stash_client: StashInterface, stash_emu: StashEmulator) -> None:
    assert stash_client.find_plugin_config(PLUGIN_ID) == {}
    stash_client.configure_plugin(PLUGIN_ID, {"plex_url": "http://plex", "max_retries": 3.0})
    assert stash_client.find_plugin_config(PLUGIN_ID) == {
        "plex_url": "http://plex",
        "max_retries": 3,
    }
    stash_emu.set_plugin_settings("Other", {})
    both = stash_client.find_plugins_config([PLUGIN_ID, "Other"])
    assert both == {PLUGIN_ID: {"plex_url": "http://plex", "max_retries": 3}}  # empty map omitted


# --- jobs ----------------------------------------------------------------------------------------

RUN_TASK = (
    "mutation($id: ID!, $task: String, $args: Map) "
    "{ runPluginTask(plugin_id: $id, task_name: $task, args_map: $args) }"
)
QUEUE = "{ jobQueue { id status description progress } }"


def test_run_plugin_task_queues_one_job_at_a_time(
    stash_client: StashInterface, stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    stash_emu.run_jobs_inline = False
    first = stash_client.call_GQL(
        RUN_TASK, {"id": PLUGIN_ID, "task": "Process Queue", "args": {"n": 1}}
    )
    stash_client.call_GQL(RUN_TASK, {"id": PLUGIN_ID, "task": "Fail"})
    queue = stash_client.call_GQL(QUEUE)["jobQueue"]
    assert [(j["status"], j["description"]) for j in queue] == [
        ("READY", "Running plugin task: Process Queue"),
        ("READY", "Running plugin task: Fail"),
    ]
    job = stash_emu.run_next_job()
    assert job is not None and str(job.id) == first["runPluginTask"]
    assert (job.status, job.progress, job.plugin_error) == ("FINISHED", 0.5, None)
    failed = stash_emu.run_next_job()
    assert failed is not None and (failed.status, failed.plugin_error) == ("FINISHED", "boom")
    assert stash_client.call_GQL(QUEUE)["jobQueue"] is None  # finished jobs leave the queue
    found = stash_client.find_job(first["runPluginTask"])
    assert found["status"] == "FINISHED" and found["endTime"].endswith("Z")
    assert stash_runner.tasks == [("Process Queue", {"n": 1}), ("Fail", {})]


def test_unknown_task_or_plugin_is_accepted_and_its_job_fails_when_it_runs(
    stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    # Stash v0.26+: RunPluginTask queues the job unchecked; CreateTask fails inside it.
    stash_emu.run_jobs_inline = False
    unknown_task = gql(stash_emu, RUN_TASK, {"id": PLUGIN_ID, "task": "Nope"})
    unknown_plugin = gql(stash_emu, RUN_TASK, {"id": "Other", "task": "Process Queue"})
    assert "errors" not in unknown_task and "errors" not in unknown_plugin
    queued = gql(stash_emu, QUEUE)["data"]["jobQueue"]
    assert [(j["status"], j["description"]) for j in queued] == [
        ("READY", "Running plugin task: Nope"),
        ("READY", "Running plugin task: Process Queue"),
    ]
    while stash_emu.run_next_job() is not None:
        pass
    assert stash_runner.tasks == []  # no process ran
    found = [
        gql(stash_emu, "query($id: ID!) { findJob(input: {id: $id}) { status error } }", {"id": i})
        for i in (unknown_task["data"]["runPluginTask"], unknown_plugin["data"]["runPluginTask"])
    ]
    assert [f["data"]["findJob"] for f in found] == [
        {
            "status": "FAILED",
            "error": "Error creating plugin task: no task with name Nope in plugin Stash2Plex",
        },
        {"status": "FAILED", "error": "Error creating plugin task: no plugin with ID Other"},
    ]


def test_inline_jobs_run_in_background_and_stop_kills(
    stash_client: StashInterface, stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    stash_runner.block_tasks = True
    job_id = stash_client.call_GQL(RUN_TASK, {"id": PLUGIN_ID, "task": "Process Queue"})[
        "runPluginTask"
    ]
    assert wait_until(lambda: stash_emu.jobs[0].status == "RUNNING")
    queued = stash_client.call_GQL(QUEUE)["jobQueue"]
    assert [(j["id"], j["status"], j["progress"]) for j in queued] == [(job_id, "RUNNING", 0.5)]
    assert stash_client.stop_job(job_id) is True
    assert stash_emu.wait_idle(5)
    assert stash_emu.jobs[0].status == "CANCELLED"
    assert stash_runner.cancelled == 1
    stash_runner.block_tasks = False
    stash_client.call_GQL(RUN_TASK, {"id": PLUGIN_ID, "task": "Process Queue"})
    assert stash_emu.wait_idle(5)
    assert [j.status for j in stash_emu.jobs] == ["CANCELLED", "FINISHED"]


def test_scan_helpers_fire_hooks_with_null_input(
    stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    scene = stash_emu.new_scene("/media/new/file.mp4", title="Fresh")
    stash_emu.library.scenes.pop(scene.id)
    stash_emu.scan_create(scene)
    stash_emu.scan_update(scene.id)
    assert [(h[0], h[1], h[2], h[3]) for h in stash_runner.hooks] == [
        ("Scene.Create.Post", scene.id, None, None),
        ("Scene.Update.Post", scene.id, None, None),
    ]


def test_scenes_update_hands_every_hook_the_whole_list(
    stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    mutation = "mutation($in: [SceneUpdateInput!]!) { scenesUpdate(input: $in) { id title } }"
    items = [{"id": "6", "title": "Six"}, {"id": "7", "details": "Seven"}]
    assert gql(stash_emu, mutation, {"in": items})["data"]["scenesUpdate"][0]["title"] == "Six"
    assert [(h[1], sorted(h[3] or [])) for h in stash_runner.hooks] == [
        (6, ["id", "title"]),
        (7, ["details", "id"]),
    ]
    whole = stash_runner.hooks[0][2]
    assert whole == stash_runner.hooks[1][2]
    assert isinstance(whole, list) and [w["id"] for w in whole] == ["6", "7"]


def test_tags_merge_moves_scenes_without_touching_them(
    stash_client: StashInterface, stash_emu: StashEmulator, stash_runner: RecordingRunner
) -> None:
    before = stash_client.find_scene(1, fragment="updated_at")["updated_at"]
    merged = gql(
        stash_emu,
        'mutation { tagsMerge(input: {source: ["1", "2"], destination: "3"}) { name aliases } }',
    )
    assert merged["data"]["tagsMerge"] == {"name": "Green", "aliases": ["Red", "Blue"]}
    scene = stash_client.find_scene(1, fragment="updated_at tags { id }")
    assert scene == {"updated_at": before, "tags": [{"id": "3"}]}
    assert [(h[0], h[1]) for h in stash_runner.hooks] == [("Tag.Merge.Post", 3)]


def test_writes_are_stamped_in_the_servers_offset_and_old_rows_keep_theirs(
    stash_client: StashInterface, stash_emu: StashEmulator, stash_clock: StashClock
) -> None:
    stash_emu.tz_offset = "+02:00"  # summer time began
    stash_emu.keep_stored_offsets = True
    winter = timezone(timedelta(hours=1))
    stash_emu.library.scenes[1].updated_at = datetime(2025, 1, 5, 10, 0, tzinfo=winter)
    stash_clock.now = datetime(2025, 4, 1, 8, 0, tzinfo=timezone.utc)
    stash_client.update_scene({"id": "2", "title": "B2"})
    rows = stash_client.find_scenes(
        f={"id": {"value": 3, "modifier": "LESS_THAN"}},
        filter={"sort": "id", "per_page": -1},
        fragment="updated_at",
    )
    assert [r["updated_at"] for r in rows] == [
        "2025-01-05T10:00:00+01:00",
        "2025-04-01T10:00:00+02:00",
    ]
