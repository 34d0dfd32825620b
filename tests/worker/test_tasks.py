"""The queue & worker tasks in-process: Sync All, Sync Recent (24 h window), Retry Failed,
Clear Queue, Clear Failed, Purge Old Failed, View Status, and the settings reader."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from base.errors import StashUnavailable
from runtime.circuit import Circuit
from sandbox.world import Sandbox
from sync_queue.inbox import Inbox
from sync_queue.queuedb import FailedList
from tests.worker.conftest import (
    data_dir_of,
    our_jobs,
    queue_items,
    queue_scenes,
    run_inproc,
    run_task,
)
from tests.worker.fakes import Script, scene_events, services_for

DAY = 86400.0


def test_sync_all_queues_every_scene_with_one_id_page_and_drains(world: Sandbox) -> None:
    pages = world.stash.log.count("graphql:findScenes")
    result = run_task(world, "sync_all", services_for(Script(batch_size=50)))
    assert result.exit_code == 0
    assert result.output["enqueued"] == 30 and result.output["synced"] == 30
    assert sorted(e["id"] for e in scene_events(data_dir_of(world))) == list(range(1, 31))
    # The catch-up's one page (first run: it only sets the watermark), one page of ids
    # (30 < 1,000) and one batch fetch.
    assert world.stash.log.count("graphql:findScenes") - pages == 3
    assert result.messages("info")[0].startswith("Sync All Scenes: 30 scene(s) selected of 30")
    assert result.output["task"] == "Sync All Scenes"


def test_sync_recent_takes_a_wider_window_and_filters_by_instant(world: Sandbox) -> None:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    minus10, plus14 = timezone(timedelta(hours=-10)), timezone(timedelta(hours=14))
    world.stash.keep_stored_offsets = True
    updated = {
        3: now - timedelta(hours=1),
        # 23 h ago, stored at -10:00: as text it sorts before the cutoff's text.
        4: (now - timedelta(hours=23)).astimezone(minus10),
        5: now - timedelta(hours=24, seconds=1),  # just outside
        # 30 h ago, stored at +14:00: as text it sorts after the cutoff's text.
        6: (now - timedelta(hours=30)).astimezone(plus14),
    }
    with world.stash.library.lock:
        for sid, when in updated.items():
            world.stash.library.scenes[sid].updated_at = when
    services = services_for(Script(), clock=now.timestamp)
    result = run_task(world, "sync_recent", services)
    assert result.exit_code == 0
    assert sorted(e["id"] for e in scene_events(data_dir_of(world))) == [3, 4]
    assert result.output["enqueued"] == 2 and result.output["task"] == "Sync Recent Scenes (24 h)"


def test_retry_failed_requeues_with_fresh_attempts_and_wakes_the_worker(world: Sandbox) -> None:
    with FailedList(data_dir_of(world)) as failed:
        failed.add(4, "PlexTransient", "503", 5)
        failed.add(9, "OutsideLibraries", "outside", 1)
    result = run_task(world, "retry_failed")
    assert result.exit_code == 0
    assert result.output == {"requeued": 2, "scene_ids": [4, 9], "wake": "requested"}
    items = queue_items(world)
    assert set(items) == {4, 9} and all(i.attempts == 0 for i in items.values())
    assert len(our_jobs(world, "READY")) == 1
    empty = run_task(world, "retry_failed")
    assert empty.output == {"requeued": 0, "scene_ids": []}


def test_clear_queue_forgets_pending_work_but_keeps_destroys_and_failures(world: Sandbox) -> None:
    queue_scenes(world, [1, 2])
    run_task(world, "process_queue", services_for(Script(outcomes={1: ["retry"], 2: ["failed"]})))
    queue_scenes(world, [3])
    with Inbox(data_dir_of(world)) as inbox:
        inbox.record("scene_destroy", [8], "Scene.Destroy.Post")
        inbox.record("tag", [4], "Tag.Update.Post")
        inbox.record("performer_destroy", [5], "Performer.Destroy.Post")
    result = run_task(world, "clear_queue")
    assert result.exit_code == 0
    assert result.output == {"cleared": 1, "cleared_from_inbox": 3}
    assert queue_items(world) == {}
    with Inbox(data_dir_of(world)) as inbox:
        assert [(r.kind, r.ref_id) for r in inbox.rows()] == [("scene_destroy", 8)]
        assert inbox.queue_due_at() is None
    with FailedList(data_dir_of(world)) as failed:
        assert [e.scene_id for e in failed.list()] == [2]


def test_clear_failed_and_purge_old_failed(world: Sandbox) -> None:
    import time

    with FailedList(data_dir_of(world)) as failed:
        failed.add(1, "A", "old", 1, now=time.time() - 31 * DAY)
        failed.add(2, "B", "recent", 1, now=time.time() - 29 * DAY)
    result = run_inproc(world, {"mode": "purge_failed", "days": "30"})
    assert result.exit_code == 0 and result.output == {"purged": 1, "days": 30.0, "remaining": 1}
    assert "Purge Old Failed: 1 entry older than 30 days removed; 1 left" in result.messages()
    result = run_task(world, "clear_failed")
    assert result.output == {"cleared": 1}
    with FailedList(data_dir_of(world)) as failed:
        assert failed.count() == 0


@pytest.mark.parametrize("days", ["thirty", "-1", "nan", True])
def test_purge_refuses_a_bad_days_argument_in_one_line(world: Sandbox, days: object) -> None:
    result = run_inproc(world, {"mode": "purge_failed", "days": days})
    assert result.exit_code == 1
    assert result.error is not None and result.error.startswith("Purge Old Failed: days must")
    assert result.messages("error") == [result.error]


def test_status_shows_queue_failures_circuit_and_last_run(world: Sandbox) -> None:
    queue_scenes(world, [1, 2, 3])
    run_task(world, "process_queue", services_for(Script(outcomes={1: ["retry"], 2: ["failed"]})))
    Circuit(data_dir_of(world)).open("PlexAuthError", "Plex refused the token (HTTP 401)")
    result = run_task(world, "status")
    assert result.exit_code == 0
    queue = result.output["queue"]
    assert (queue["queued"], queue["due"], queue["failed"], queue["in_flight"]) == (1, 0, 1, 0)
    assert queue["failed_recent"][0]["scene_id"] == 2
    assert queue["failed_recent"][0]["reason_class"] == "outside_libraries"
    assert queue["failed_recent"][0]["reason"] == "outside every Plex library"
    assert queue["circuit"]["open"] is True
    assert queue["last_run"]["synced"] == 1 and queue["last_run"]["failed"] == 1
    info = result.messages("info")
    assert any(line.startswith("Queue: 1 queued (0 due), 0 in flight") for line in info)
    warnings = result.messages("warning")
    assert any(
        m.startswith("Queue: 1 scene failed: outside every Plex library (1, e.g. 2")
        for m in warnings
    )
    assert any(
        m.startswith("Queue: 1 scene to be retried: Plex answered with an error (1, e.g. 1")
        for m in info
    )
    assert any(line.startswith("Last run (Stash2Plex: Process Queue") for line in info)
    # the last run's failed scene is the queue's: its fix is given once
    fixes = [line for line in info if line.startswith("Outside every Plex library: ")]
    assert len(fixes) == 1
    (circuit,) = [line for line in warnings if "Plex circuit open since" in line]
    assert "Plex token rejected (Plex refused the token (HTTP 401))" in circuit
    assert "PlexAuthError" not in result.stderr and "OutsideLibraries" not in result.stderr
    assert "plex_token" not in str(queue)


def test_status_applies_the_wake_up_rule_when_work_is_due(world: Sandbox) -> None:
    queue_scenes(world, [1])
    result = run_task(world, "status")
    assert result.output["queue"]["due_work"] is True
    assert result.output["queue"]["wake"] == "requested"
    assert len(our_jobs(world, "READY")) == 1


def test_settings_come_from_stash_in_one_request(world: Sandbox) -> None:
    from plugin.settings_source import fetch_settings

    class _Ctx:
        def __init__(self) -> None:
            from plugin.invocation import parse_invocation
            from stash.log import StashLog

            self.invocation = parse_invocation(world.harness.stdin_payload({"mode": "status"}))
            self.log = StashLog(io.BytesIO())  # type: ignore[arg-type]
            self.plugin_dir = world.harness.plugin_dir  # its manifest names the plugin id

    ctx = _Ctx()
    before = world.stash.log.count("graphql:configuration")
    settings = fetch_settings(ctx)  # type: ignore[arg-type]
    assert settings["plex_url"] == world.plex.url and settings["plex_token"] == world.plex.token
    assert world.stash.log.count("graphql:configuration") - before == 1
    with world.stash.library.lock:
        world.stash.library.plugin_settings.pop("Stash2Plex")
    assert fetch_settings(ctx) == {}  # type: ignore[arg-type]
    world.stash.go_down()
    try:
        with pytest.raises(StashUnavailable, match="connection refused"):
            fetch_settings(ctx)  # type: ignore[arg-type]
    finally:
        world.stash.come_up()
