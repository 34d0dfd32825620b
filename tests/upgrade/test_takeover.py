"""The takeover on its own (in process, no servers): where it looks, what it leaves alone,
and that a hook never runs it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from base.datadir import legacy_data_dirs
from plex.env import CLIENT_ID_FILE
from reconciliation.scheduler import ReconciliationScheduler
from sandbox.harness import PluginHarness
from sandbox.inprocess import run_in_process
from stash.log import StashLog
from sync_queue.queuedb import FailedList, get_queued_scene_ids
from tasks.takeover import MARKER_FILE, take_over
from tests.upgrade.legacy_data import DEVICE_ID, RECONCILIATION, OldData, write_old_data

OLD = OldData(pending=[1, 2], in_flight=[3], acked=[4], dead=[5], timestamps={6: 1.7e9})


def run(plugin_dir: Path, data_dir: Path) -> tuple[object, str]:
    stream = io.BytesIO()
    result = take_over(plugin_dir, data_dir, StashLog(stream))
    return result, stream.getvalue().decode()


def test_nothing_to_take_over_writes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run(tmp_path / "plugin", data_dir) == (None, "")
    assert not data_dir.exists()


def test_1x_data_in_the_plugin_folder_is_taken_into_ours_elsewhere(tmp_path: Path) -> None:
    """`$STASH_PLUGIN_DATA` set now, 1.x ran without it: its data sits in the plugin's data/."""
    plugin_dir = tmp_path / "plugins" / "Stash2Plex"
    old_dir, data_dir = plugin_dir / "data", tmp_path / "shared"
    write_old_data(old_dir, OLD)
    assert legacy_data_dirs(plugin_dir, data_dir)[1] == old_dir
    result, log = run(plugin_dir, data_dir)
    assert result is not None and "Took over Stash2Plex 1.x's data" in log
    assert get_queued_scene_ids(data_dir) == {1, 2, 3}
    with FailedList(data_dir) as failed:
        assert [e.scene_id for e in failed.list()] == [5]
    assert (data_dir / CLIENT_ID_FILE).read_text() == DEVICE_ID
    state = ReconciliationScheduler(data_dir).load_state()
    assert state.run_count == RECONCILIATION["run_count"]
    assert state.last_interval_run_time == RECONCILIATION["last_run_time"]  # ours, added
    # in that folder every file was 1.x's: all renamed, the reconciliation state too
    assert not (old_dir / "reconciliation_state.json").exists()
    assert (old_dir / "reconciliation_state.json.migrated").is_file()
    assert (old_dir / "queue.migrated").is_dir() and (old_dir / "circuit_breaker.json").exists()
    assert json.loads((data_dir / MARKER_FILE).read_text())[str(old_dir)]["reported"] is True
    assert run(plugin_dir, data_dir) == (None, "")  # done: nothing again


def test_1x_files_moved_in_after_a_finished_takeover_are_taken_too(tmp_path: Path) -> None:
    """Health Check's advice for a 1.x installed elsewhere: move its data files into ours."""
    write_old_data(tmp_path, OLD)
    run(tmp_path / "plugin", tmp_path)
    later = tmp_path / "elsewhere"
    write_old_data(later, OldData(pending=[7], in_flight=[], acked=[], dead=[8]))
    for name in ("queue", "dlq.db"):
        (later / name).rename(tmp_path / name)
    _, log = run(tmp_path / "plugin", tmp_path)
    assert "1 queued scene, 1 failed" in log
    assert get_queued_scene_ids(tmp_path) == {1, 2, 3, 7}
    assert (tmp_path / "queue.migrated.2").is_dir() and (tmp_path / "dlq.db.migrated.2").is_file()


def test_an_unreadable_queue_is_kept_and_the_rest_taken(tmp_path: Path) -> None:
    write_old_data(tmp_path, OLD)
    (tmp_path / "queue" / "data.db").write_bytes(b"not a database" * 100)
    _, log = run(tmp_path / "plugin", tmp_path)
    assert "queued edits of Stash2Plex 1.x (queue) could not be read" in log
    assert "Run Sync Recent Scenes" in log
    assert get_queued_scene_ids(tmp_path) == set()
    with FailedList(tmp_path) as failed:
        assert failed.count() == 1
    assert (tmp_path / "queue.migrated" / "data.db").is_file()  # kept, never deleted


def test_a_hook_never_takes_over(tmp_path: Path) -> None:
    write_old_data(tmp_path, OLD)
    harness = PluginHarness()
    args = harness.hook_args("Scene.Update.Post", 9, {"id": "9", "title": "x"}, ["title"])
    hook = run_in_process(harness.stdin_payload(args), tmp_path, settings={})
    assert hook.exit_code == 0, hook.stderr
    assert get_queued_scene_ids(tmp_path) == {9}  # the hook did its work, and only that
    assert (tmp_path / "queue").is_dir() and (tmp_path / "device_id.json").is_file()
    assert not (tmp_path / MARKER_FILE).exists()
