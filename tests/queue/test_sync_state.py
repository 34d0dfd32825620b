"""Per-scene sync state, load_sync_timestamps, and the one-time migration of an earlier
Stash2Plex's sync_timestamps.json (realistic, garbage-laden and corrupt files).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest

from sync_queue import sync_state
from sync_queue.inbox import Inbox
from sync_queue.queuedb import get_queued_scene_ids
from sync_queue.sync_state import SceneSyncState, SyncStateStore, load_sync_timestamps
from sync_queue.workqueue import WorkQueue

from .conftest import T0


def state(scene_id: int, **changes: object) -> SceneSyncState:
    base = dict(
        scene_id=scene_id,
        updated_at="2025-03-01T12:34:56+01:00",
        updated_at_epoch=None,
        targets=((1, 1000 + scene_id),),
        fingerprints={"title": "h1", "poster": "h2"},
        entities={"performer": (3, 1), "studio": (9,), "tag": (4, 5)},
        last_synced_at=T0,
    )
    base.update(changes)
    return SceneSyncState(**base)  # type: ignore[arg-type]


def test_put_get_roundtrip_derives_the_epoch(tmp_path: Path) -> None:
    with SyncStateStore(tmp_path) as store:
        store.put(state(1))
        got = store.get(1)
    assert got is not None
    assert got.updated_at == "2025-03-01T12:34:56+01:00"
    assert got.updated_at_epoch == 1740828896.0
    assert got.targets == ((1, 1001),)
    assert got.fingerprints == {"poster": "h2", "title": "h1"}
    assert got.entities == {"performer": (1, 3), "studio": (9,), "tag": (4, 5)}
    assert got.last_synced_at == T0


def test_post_write_baselines_roundtrip_and_a_version_3_file_gains_the_column(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old"
    old.mkdir()
    conn = sqlite3.connect(old / "sync_state.db")
    for step in sync_state._MIGRATIONS[:3]:  # a file written before issue 15
        step(conn)
    conn.execute("INSERT INTO scene_state VALUES (7, NULL, 1.0, '[[1, 1007]]', '{}', 1.0, NULL)")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with SyncStateStore(old) as store:
        got = store.get(7)
        assert got is not None and got.baselines == {}  # none recorded: the diff as before
        base = {1007: {"title": "h9", "@locks": "title", "@updatedAt": "1700000000"}}
        store.put(state(7, baselines=base))
        again = store.get(7)
    assert again is not None and again.baselines == base


def test_put_many_replaces_and_get_many_skips_unknown(tmp_path: Path) -> None:
    with SyncStateStore(tmp_path) as store:
        assert store.put_many([state(1), state(2), state(3)]) == 3
        store.put_many(
            [
                state(2, targets=((1, 5), (2, 6)), entities={"tag": (4,)}, fingerprints={}),
                state(3, updated_at=None, updated_at_epoch=T0 - 5),
            ]
        )
        many = store.get_many([3, 2, 1, 404])
        assert sorted(many) == [1, 2, 3]
        assert many[2].targets == ((1, 5), (2, 6))
        assert many[2].entities == {"tag": (4,)}
        assert many[2].fingerprints == {}
        assert many[3].updated_at_epoch == T0 - 5
        assert store.get(404) is None
        assert store.count() == 3


def test_not_in_plex_notes_last_until_the_scene_is_pushed_or_forgotten(tmp_path: Path) -> None:
    with SyncStateStore(tmp_path) as store:
        assert store.note_not_in_plex({1: ["/m/a b.mp4"], 2: ["/m/c.mp4", "/m/d.mp4"], 3: []}) == 3
        store.note_not_in_plex({3: ["/m/e.mp4"]})  # noted again: replaced
        assert store.not_in_plex() == {
            1: ["/m/a b.mp4"],
            2: ["/m/c.mp4", "/m/d.mp4"],
            3: ["/m/e.mp4"],
        }
        store.put(state(1))  # pushed: Plex has it now
        store.forget(3)  # destroyed in Stash
    with SyncStateStore(tmp_path) as store:  # kept across invocations
        assert store.not_in_plex() == {2: ["/m/c.mp4", "/m/d.mp4"]}
        assert store.count() == 1  # a note is no sync state


def test_get_many_over_more_ids_than_one_query_holds(tmp_path: Path) -> None:
    with SyncStateStore(tmp_path) as store:
        store.put_many(state(i) for i in range(1, 1301))
        assert len(store.get_many(range(1, 1401))) == 1300
        assert len(store.scenes_with_entity("studio", 9)) == 1300


def test_scenes_with_entity_follows_the_latest_push(tmp_path: Path) -> None:
    with SyncStateStore(tmp_path) as store:
        store.put_many([state(1), state(2, entities={"performer": (3,)}), state(3, entities={})])
        assert store.scenes_with_entity("performer", 3) == [1, 2]
        assert store.scenes_with_entity("tag", 4) == [1]
        store.put(state(1, entities={"tag": (8,)}))
        assert store.scenes_with_entity("performer", 3) == [2]
        assert store.scenes_with_entity("tag", 8) == [1]
        assert store.forget(2) is True
        assert store.forget(2) is False
        assert store.scenes_with_entity("performer", 3) == []
        assert store.forget_many([1, 3, 77]) == 2
        assert store.count() == 0


def test_load_sync_timestamps_is_a_plain_dict_of_epochs(tmp_path: Path) -> None:
    assert load_sync_timestamps(tmp_path) == {}
    with SyncStateStore(tmp_path) as store:
        store.put_many(
            [
                state(1, updated_at="2025-03-01T11:34:56Z"),
                state(2, updated_at="garbage"),  # unparsable: no epoch, not listed
                state(3, updated_at=None, updated_at_epoch=12.5),
            ]
        )
    assert load_sync_timestamps(tmp_path) == {1: 1740828896.0, 3: 12.5}


def test_get_queued_scene_ids_spans_inbox_and_queue(tmp_path: Path) -> None:
    with Inbox(tmp_path) as inbox:
        inbox.record("scene", [1, 2], "hook")
        inbox.record("performer", [3], "hook")
    with WorkQueue(tmp_path) as queue:
        queue.add_many([2, 4])
        queue.get()
    assert get_queued_scene_ids(tmp_path) == {1, 2, 4}


# --- migration of sync_timestamps.json --------------------------------------------------------

LEGACY = {
    "101": 1712345678.5,
    "102": "1712345000",
    "103": "2024-04-05T10:00:00Z",
    "104": "2024-04-05T12:00:00+02:00",
    "105": 1712345678901,  # milliseconds
    "106": None,
    "107": "yesterday",
    "abc": 1712345678,
    "-5": 1712345678,
    "108": True,
    "109": {"nested": 1},
    "110": float("inf"),
}


def take_over(folder: Path) -> dict[int, float]:
    """What the upgrade takeover does for this file, then the timestamps as read afterwards."""
    with SyncStateStore(folder) as store:
        store.take_over_legacy_timestamps()
    return load_sync_timestamps(folder)


def write_legacy(folder: Path, text: str) -> Path:
    path = folder / "sync_timestamps.json"
    path.write_text(text, encoding="utf-8")
    os.utime(path, (1_600_000_000, 1_600_000_000))
    return path


def test_migrates_a_realistic_file_once_and_never_touches_it(tmp_path: Path) -> None:
    path = write_legacy(tmp_path, json.dumps(LEGACY).replace("Infinity", "1e999"))
    before = (path.read_bytes(), path.stat().st_mtime)
    assert load_sync_timestamps(tmp_path) == {}  # opening alone takes nothing over
    assert take_over(tmp_path) == {
        101: 1712345678.5,
        102: 1712345000.0,
        103: 1712311200.0,
        104: 1712311200.0,
        105: 1712345678.901,
    }
    assert (path.read_bytes(), path.stat().st_mtime) == before
    with SyncStateStore(tmp_path) as store:
        assert store.legacy_migration() == "migrated 5, skipped 7"
        migrated = store.get(102)
    assert migrated is not None
    assert (migrated.targets, migrated.fingerprints, migrated.updated_at) == ((), {}, None)
    assert migrated.last_synced_at == 1712345000.0
    write_legacy(tmp_path, json.dumps({"200": 1712345678}))  # migrated once only
    assert 200 not in take_over(tmp_path)


def test_migration_never_overrides_newer_state(tmp_path: Path) -> None:
    with SyncStateStore(tmp_path) as store:
        store.put(state(101, updated_at=None, updated_at_epoch=5.0))
    write_legacy(tmp_path, json.dumps({"101": 1712345678, "102": 1712345679}))
    assert take_over(tmp_path) == {101: 5.0, 102: 1712345679.0}


@pytest.mark.parametrize("text", ["{not json", "[1, 2, 3]", '"a string"', "", "\xff\xfe{}"])
def test_a_corrupt_file_warns_once_and_migrates_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    path = tmp_path / "sync_timestamps.json"
    path.write_bytes(text.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="sync_queue.sync_state"):
        assert take_over(tmp_path) == {}
        assert take_over(tmp_path) == {}
        with SyncStateStore(tmp_path) as store:
            assert store.legacy_migration() == "corrupt"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "corrupt" in warnings[0].getMessage()
    assert path.read_bytes() == text.encode("latin-1")


def test_an_unreadable_file_is_retried_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "sync_timestamps.json").mkdir()  # cannot be read as a file
    with caplog.at_level(logging.WARNING, logger="sync_queue.sync_state"):
        assert take_over(tmp_path) == {}
    assert any("will try again" in r.getMessage() for r in caplog.records)
    (tmp_path / "sync_timestamps.json").rmdir()
    write_legacy(tmp_path, json.dumps({"7": 1712345678}))
    assert take_over(tmp_path) == {7: 1712345678.0}
