"""Stash2Plex 1.x's queue folder and failed list, read, and taken into `queue.db` at once.

Formats from ../shared/reference/earlier-stash2plex.md: `queue/` is a persist-queue
`SQLiteAckQueue` (opened with persist-queue, never by hand; its rows are pickled job dicts),
`dlq.db` a plain SQLite table `dead_letters`. Neither source is ever written. `adopt` puts
both into our work queue and failed list in one transaction, and is idempotent: scenes are
level-based (adding a queued scene twice is one row), and failed entries merge by scene
(earliest first failure, latest last failure), so re-running after a SIGKILL changes nothing.
"""

from __future__ import annotations

import io
import os
import pickle
import sqlite3
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from sync_queue.db import write_txn
from sync_queue.jobs import clip_message
from sync_queue.queuedb import add_rows, open_queue_db

__all__ = ["LegacyFailure", "LegacyQueue", "adopt", "read_dead_letters", "read_legacy_queue"]

# persist-queue's AckStatus (read from 1.1.0's source): 0 inited (put, never taken: what the
# reference calls ready), 1 ready (nacked or resumed), 2 unack (in flight when a process
# died); 5 acked and 9 ack_failed are finished work. SQLite hands the column back as int.
_LIVE_STATUSES = (0, 1, 2, "0", "1", "2")


@dataclass(frozen=True)
class LegacyQueue:
    scene_ids: tuple[int, ...]  # pending or in flight, each once
    unreadable: int = 0  # items whose pickle could not be read (no scene id)


@dataclass(frozen=True)
class LegacyFailure:
    scene_id: int
    reason_class: str  # 1.x's error_type, an exception class name (read by read_status)
    message: str
    attempts: int
    failed_at: float
    first_failed_at: float = field(default=0.0)


class _PlainDataUnpickler(pickle.Unpickler):
    """1.x pickled plain dicts; refusing every class keeps a crafted file from running code."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"refused {module}.{name}")


class _SafePickle:
    """persist-queue's serializer interface (dumps/loads) over the restricted unpickler; an
    item it cannot read comes out as None instead of failing the whole listing."""

    @staticmethod
    def dumps(value: object) -> bytes:
        return pickle.dumps(value)

    @staticmethod
    def loads(data: bytes) -> object:
        try:
            return _PlainDataUnpickler(io.BytesIO(data)).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None


def read_legacy_queue(queue_dir: Path) -> LegacyQueue:
    """The scene ids of every ready or unacked item of 1.x's queue folder.

    Opened as 1.x opened it, except `auto_resume` stays off so nothing is written. Raises
    sqlite3.Error or OSError when the folder is not a readable persist-queue.
    """
    from persistqueue.sqlackqueue import SQLiteAckQueue

    queue = SQLiteAckQueue(
        os.fspath(queue_dir),
        auto_commit=True,
        multithreading=True,
        auto_resume=False,
        serializer=_SafePickle,
    )
    try:
        rows = queue.queue()
    finally:
        queue.close()
    ids: dict[int, None] = {}
    unreadable = 0
    for row in rows:
        if row.get("status") not in _LIVE_STATUSES:
            continue
        scene_id = _scene_id(row.get("data"))
        if scene_id is None:
            unreadable += 1
        else:
            ids[scene_id] = None
    return LegacyQueue(tuple(ids), unreadable)


def _scene_id(item: object) -> int | None:
    if not isinstance(item, dict):
        return None
    value = item.get("scene_id")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    key = item.get("job_key")  # "scene_<id>"
    if isinstance(key, str) and key.startswith("scene_") and key[6:].isdigit():
        return int(key[6:]) or None
    return None


def read_dead_letters(path: Path) -> list[LegacyFailure]:
    """One entry per scene of 1.x's `dead_letters` (a scene failed twice: its latest reason,
    its earliest time as the first failure). Opened read only. Raises sqlite3.Error."""
    conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT scene_id, error_type, error_message, retry_count, failed_at"
            " FROM dead_letters ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    merged: dict[int, LegacyFailure] = {}
    for scene_id, error_type, message, retries, failed_at in rows:
        if not isinstance(scene_id, int) or scene_id <= 0:
            continue
        moment = _epoch(failed_at)
        earlier = merged.get(scene_id)
        entry = LegacyFailure(
            scene_id,
            str(error_type or "Unknown"),
            clip_message(message or ""),
            int(retries) if isinstance(retries, int) and retries >= 0 else 0,
            moment,
            moment if earlier is None else min(earlier.first_failed_at, moment),
        )
        if earlier is None or moment >= earlier.failed_at:
            merged[scene_id] = entry
        else:
            merged[scene_id] = replace(earlier, first_failed_at=moment)
    return [merged[sid] for sid in sorted(merged)]


def _epoch(value: object) -> float:
    """SQLite's CURRENT_TIMESTAMP text (UTC), or a number; unreadable → now (kept, not lost)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace("T", " ").rstrip("Z")
        for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
            try:
                moment = datetime.strptime(text, pattern)
            except ValueError:
                continue
            return moment.replace(tzinfo=timezone.utc).timestamp()
    return time.time()


def adopt(
    data_dir: str | os.PathLike[str],
    scene_ids: tuple[int, ...],
    failures: list[LegacyFailure],
    now: float,
) -> None:
    """Queue `scene_ids` and merge `failures` into the failed list: one transaction."""
    conn = open_queue_db(data_dir)
    try:
        with write_txn(conn):
            add_rows(conn, dict.fromkeys(scene_ids, now), now)
            for entry in failures:
                _merge_failure(conn, entry)
    finally:
        conn.close()


def _merge_failure(conn: sqlite3.Connection, entry: LegacyFailure) -> None:
    found = conn.execute(
        "SELECT first_failed_at, last_failed_at FROM failed WHERE scene_id = ?", (entry.scene_id,)
    ).fetchone()
    if found is None:
        conn.execute(
            "INSERT INTO failed (scene_id, reason_class, message, attempts, first_failed_at,"
            " last_failed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                entry.scene_id,
                entry.reason_class,
                entry.message,
                entry.attempts,
                entry.first_failed_at,
                entry.failed_at,
            ),
        )
        return
    first, last = found
    conn.execute(
        "UPDATE failed SET first_failed_at = ? WHERE scene_id = ?",
        (min(first, entry.first_failed_at), entry.scene_id),
    )
    if entry.failed_at > last:  # a newer failure here keeps its own reason
        conn.execute(
            "UPDATE failed SET reason_class = ?, message = ?, attempts = ?, last_failed_at = ?"
            " WHERE scene_id = ?",
            (entry.reason_class, entry.message, entry.attempts, entry.failed_at, entry.scene_id),
        )
