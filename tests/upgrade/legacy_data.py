"""A data folder as Stash2Plex 1.x leaves it, written in its formats (tests only).

Every format is from ../shared/reference/earlier-stash2plex.md "Where its data lives": the
queue is written by persist-queue itself (SQLiteAckQueue with 1.x's options and its default
pickle serializer), items in flight are taken with `get()` and never acked (persist-queue's
status 2, as when a 1.x process died), finished ones acked (status 5); `dlq.db` has exactly
1.x's `dead_letters` table with pickled job dicts.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from persistqueue.sqlackqueue import SQLiteAckQueue

DEVICE_ID = "0b7f1c52-9d3e-4a8b-b1f4-6c2d8e9a7f31"
RECONCILIATION = {
    "last_run_time": 1_764_000_000.0,
    "last_run_scope": "recent",
    "last_gaps_found": 3,
    "last_gaps_by_type": {"empty_metadata": 1, "stale_sync": 2, "missing": 0},
    "last_enqueued": 3,
    "last_scenes_checked": 120,
    "is_startup_run": False,
    "run_count": 7,
}
# 1.x's reason texts are its exception class names and messages.
DEAD_TIME = "2026-11-30 08:15:00"
DEAD_EPOCH = 1_796_026_500.0  # DEAD_TIME as UTC epoch


@dataclass
class OldData:
    pending: list[int]
    in_flight: list[int]
    acked: list[int]
    dead: list[int]
    timestamps: dict[int, float] = field(default_factory=dict)

    @property
    def queued(self) -> set[int]:
        return set(self.pending) | set(self.in_flight)


def job(job_id: int, scene_id: int, **extra: object) -> dict[str, object]:
    return {
        "job_id": job_id,
        "scene_id": scene_id,
        "update_type": "metadata",
        "data": {
            "title": f"Scene {scene_id}",
            "details": "from 1.x",
            "date": "2024-01-02",
            "rating100": 80,
            "studio": "Old Studio",
            "performers": ["A"],
            "tags": ["t"],
            "poster_url": None,
            "background_url": None,
            "path": f"/data/videos/{scene_id}.mp4",
        },
        "enqueued_at": 1_764_400_000.0 + job_id,
        "job_key": f"scene_{scene_id}",
        **extra,
    }


def write_old_data(folder: Path, old: OldData) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    queue = SQLiteAckQueue(
        str(folder / "queue"), auto_commit=True, multithreading=True, auto_resume=False
    )
    for number, sid in enumerate([*old.acked, *old.in_flight, *old.pending], start=1):
        queue.put(job(number, sid, retry_count=1) if sid in old.in_flight else job(number, sid))
    for sid in [*old.acked, *old.in_flight]:  # FIFO: these come out first
        item = queue.get(block=False)
        assert item["scene_id"] == sid
        if sid in old.acked:
            queue.ack(item)
    statuses = sorted(int(row["status"]) for row in queue.queue())
    # persist-queue marks a put item 0 ("inited"), a taken one 2, an acked one 5
    assert statuses == sorted(
        [5] * len(old.acked) + [2] * len(old.in_flight) + [0] * len(old.pending)
    )
    queue.close()

    conn = sqlite3.connect(folder / "dlq.db")
    conn.execute(
        "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER,"
        " scene_id INTEGER, job_data BLOB, error_type TEXT, error_message TEXT,"
        " stack_trace TEXT, retry_count INTEGER,"
        " failed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
    )
    for n, sid in enumerate(old.dead, start=100):
        conn.execute(
            "INSERT INTO dead_letters (job_id, scene_id, job_data, error_type, error_message,"
            " stack_trace, retry_count, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                n,
                sid,
                pickle.dumps(job(n, sid)),
                "PermanentError",
                f"No Plex match for scene {sid}",
                "Traceback ...",
                5,
                DEAD_TIME,
            ),
        )
    conn.commit()
    conn.close()

    timestamps = {str(k): v for k, v in old.timestamps.items()}
    (folder / "sync_timestamps.json").write_text(json.dumps(timestamps))
    (folder / "reconciliation_state.json").write_text(json.dumps(RECONCILIATION))
    (folder / "device_id.json").write_text(json.dumps({"device_id": DEVICE_ID}))
    (folder / "circuit_breaker.json").write_text(json.dumps({"state": "closed"}))
    (folder / "stats.json").write_text("{}")
    (folder / "match_cache").mkdir()


# Saved in Stash under the plugin id by 1.x's settings page (its manifest's keys).
OLD_SETTINGS: dict[str, object] = {
    "enabled": True,
    "sync_studio": True,
    "sync_tags": True,
    "strict_matching": True,
    "connect_timeout": 10,
    "read_timeout": 60,
    "max_retries": 5,
    "poll_interval": 30,
    "max_tags": 100,
    "trigger_plex_scan": True,
    "reconcile_missing": True,
}
