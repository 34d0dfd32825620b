"""The worker's database file `queue.db` without the hand-out channel: schema, the row
operations the work queue and the failed list share, the failed list, and the pending ids.

Tables: `work` (one row per scene with pending work; see sync_queue.jobs for the states),
`failed` (the failed list), and persist-queue's `ack_queue_handout` (the hand-out channel,
created and owned by persist-queue; see sync_queue.workqueue). Nothing here imports
persist-queue: the status and failed-list tasks and reconciliation open `queue.db` through
this module alone. The failed list lives beside the work queue so that "retry failed" moves
entries back into the queue in one transaction.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
import time
from collections.abc import Callable, Iterable

from sync_queue.db import JOURNAL_AUTO, open_database, write_txn
from sync_queue.inbox import Inbox
from sync_queue.jobs import FailedEntry, Job, WorkItem, clip_message

__all__ = [
    "QUEUE_FILE",
    "FailedList",
    "add_rows",
    "delete_failed",
    "get_queued_scene_ids",
    "open_queue_db",
    "read_failed",
    "read_failed_entry",
    "read_items",
    "read_job",
    "upsert_failed",
]

QUEUE_FILE = "queue.db"


def _schema_v1(conn: sqlite3.Connection) -> None:
    # CHECK (state = 'processing' OR dirty = 1): the queue set is a subset of the dirty set.
    conn.execute(
        "CREATE TABLE work ("
        " scene_id INTEGER PRIMARY KEY,"
        " state TEXT NOT NULL CHECK (state IN ('queued', 'processing')),"
        " dirty INTEGER NOT NULL CHECK (dirty IN (0, 1)),"
        " ready_at REAL NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " waits INTEGER NOT NULL DEFAULT 0,"
        " last_error_class TEXT,"
        " last_error TEXT,"
        " wait_reason TEXT,"
        " first_enqueued_at REAL NOT NULL,"
        " updated_at REAL NOT NULL,"
        " claimed_at REAL,"
        " pqid INTEGER,"
        " CHECK (state = 'processing' OR dirty = 1),"
        " CHECK ((state = 'processing') = (pqid IS NOT NULL)))"
    )
    conn.execute("CREATE INDEX work_due ON work (state, ready_at, scene_id)")
    conn.execute(
        "CREATE TABLE failed ("
        " scene_id INTEGER PRIMARY KEY,"
        " reason_class TEXT NOT NULL,"
        " message TEXT NOT NULL,"
        " attempts INTEGER NOT NULL,"
        " first_failed_at REAL NOT NULL,"
        " last_failed_at REAL NOT NULL)"
    )
    conn.execute("CREATE INDEX failed_last ON failed (last_failed_at)")


_MIGRATIONS = (_schema_v1,)

_ITEM_COLUMNS = (
    "scene_id, state, dirty, ready_at, attempts, waits, last_error_class, last_error,"
    " wait_reason, first_enqueued_at, claimed_at"
)
_JOB_COLUMNS = (
    "scene_id, attempts, waits, ready_at, first_enqueued_at, last_error_class, last_error"
)
_FAILED_COLUMNS = "scene_id, reason_class, message, attempts, first_failed_at, last_failed_at"


def open_queue_db(
    data_dir: str | os.PathLike[str],
    *,
    busy_timeout: float = 30.0,
    journal: str = JOURNAL_AUTO,
    vfs: str | None = None,
) -> sqlite3.Connection:
    path = os.path.join(os.fspath(data_dir), QUEUE_FILE)
    return open_database(path, _MIGRATIONS, busy_timeout=busy_timeout, journal=journal, vfs=vfs)


def add_rows(conn: sqlite3.Connection, ready: dict[int, float], now: float) -> int:
    """The contract's add for many ids (inside the caller's transaction); returns how many
    became dirty (new rows, plus clean processing rows that will run once more).

    Order matters: the collapse UPDATE touches only rows dirty before this call, the second
    UPDATE only clean processing rows, and the INSERT only ids without a row.
    """
    if not ready:
        return 0
    conn.executemany(
        "UPDATE work SET ready_at = MIN(ready_at, ?), updated_at = ?"
        " WHERE scene_id = ? AND dirty = 1 AND ready_at > ?",
        [(at, now, sid, at) for sid, at in ready.items()],
    )
    cur = conn.executemany(
        "UPDATE work SET dirty = 1, ready_at = ?, updated_at = ? WHERE scene_id = ? AND dirty = 0",
        [(at, now, sid) for sid, at in ready.items()],
    )
    became_dirty = max(cur.rowcount, 0)
    cur = conn.executemany(
        "INSERT OR IGNORE INTO work (scene_id, state, dirty, ready_at, first_enqueued_at,"
        " updated_at) VALUES (?, 'queued', 1, ?, ?, ?)",
        [(sid, at, now, now) for sid, at in ready.items()],
    )
    return became_dirty + max(cur.rowcount, 0)


def read_job(conn: sqlite3.Connection, scene_id: int) -> Job | None:
    row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM work WHERE scene_id = ?", (scene_id,))
    found = row.fetchone()
    return None if found is None else Job(*found)


def read_items(conn: sqlite3.Connection) -> list[WorkItem]:
    rows = conn.execute(f"SELECT {_ITEM_COLUMNS} FROM work ORDER BY scene_id").fetchall()
    return [WorkItem(r[0], r[1], bool(r[2]), *r[3:]) for r in rows]


def upsert_failed(
    conn: sqlite3.Connection,
    scene_id: int,
    reason_class: str,
    message: str,
    attempts: int,
    now: float,
) -> None:
    """Add or refresh a failed entry (first_failed_at kept); inside the caller's txn.

    UPDATE-then-INSERT rather than UPSERT syntax, which needs SQLite 3.24.
    """
    text = clip_message(message)
    cur = conn.execute(
        "UPDATE failed SET reason_class = ?, message = ?, attempts = ?, last_failed_at = ?"
        " WHERE scene_id = ?",
        (reason_class, text, attempts, now, scene_id),
    )
    if cur.rowcount == 0:
        conn.execute(
            f"INSERT INTO failed ({_FAILED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (scene_id, reason_class, text, attempts, now, now),
        )


def delete_failed(conn: sqlite3.Connection, scene_ids: Iterable[int]) -> int:
    cur = conn.executemany("DELETE FROM failed WHERE scene_id = ?", [(s,) for s in scene_ids])
    return max(cur.rowcount, 0)


def read_failed(conn: sqlite3.Connection, limit: int | None = None) -> list[FailedEntry]:
    sql = f"SELECT {_FAILED_COLUMNS} FROM failed ORDER BY last_failed_at DESC, scene_id"
    if limit is not None:
        return [FailedEntry(*r) for r in conn.execute(sql + " LIMIT ?", (int(limit),))]
    return [FailedEntry(*r) for r in conn.execute(sql).fetchall()]


def read_failed_entry(conn: sqlite3.Connection, scene_id: int) -> FailedEntry | None:
    found = conn.execute(
        f"SELECT {_FAILED_COLUMNS} FROM failed WHERE scene_id = ?", (scene_id,)
    ).fetchone()
    return None if found is None else FailedEntry(*found)


class FailedList:
    """Failed entries keyed by scene id. Opened standalone from `data_dir` by the status and
    failed-list tasks, or on the work queue's connection (`conn`) as `WorkQueue.failed`."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        conn: sqlite3.Connection | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
        journal: str = JOURNAL_AUTO,
        vfs: str | None = None,
    ) -> None:
        if (data_dir is None) == (conn is None):
            raise ValueError("give either data_dir or conn")
        self._owns = conn is None
        self._conn = conn or open_queue_db(
            data_dir or ".", busy_timeout=busy_timeout, journal=journal, vfs=vfs
        )
        self._clock = clock

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    def __enter__(self) -> FailedList:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else float(now)

    def add(
        self,
        scene_id: int,
        reason_class: str,
        message: str,
        attempts: int,
        now: float | None = None,
    ) -> None:
        """Record a failure; a scene already listed keeps its first failure time."""
        now = self._now(now)
        with write_txn(self._conn):
            upsert_failed(self._conn, int(scene_id), reason_class, message, attempts, now)

    def get(self, scene_id: int) -> FailedEntry | None:
        return read_failed_entry(self._conn, int(scene_id))

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM failed").fetchone()[0])

    def retry_all(self, now: float | None = None) -> builtins.list[int]:
        """Move every failed scene back into the work queue (fresh attempts); returns ids."""
        now = self._now(now)
        with write_txn(self._conn):
            ids = [int(r[0]) for r in self._conn.execute("SELECT scene_id FROM failed")]
            add_rows(self._conn, dict.fromkeys(ids, now), now)
            delete_failed(self._conn, ids)
        return sorted(ids)

    def clear(self) -> int:
        with write_txn(self._conn):
            return max(self._conn.execute("DELETE FROM failed").rowcount, 0)

    def purge_older_than(self, days: float, now: float | None = None) -> int:
        """Delete entries whose last failure is more than `days` days before `now`."""
        cutoff = self._now(now) - float(days) * 86400.0
        with write_txn(self._conn):
            cur = self._conn.execute("DELETE FROM failed WHERE last_failed_at < ?", (cutoff,))
            return max(cur.rowcount, 0)

    def list(self, limit: int | None = None) -> builtins.list[FailedEntry]:
        """Entries, most recent failure first."""
        return read_failed(self._conn, limit)


def get_queued_scene_ids(data_dir: str | os.PathLike[str]) -> set[int]:
    """Scene ids recorded by hooks and not yet taken, or queued/in flight in the worker.

    For reconciliation, to enqueue only what is not pending yet: two indexed SELECTs, read
    only, no worker lock, no unpickling.
    """
    with Inbox(data_dir) as inbox:
        ids = inbox.pending_ids("scene")
    conn = open_queue_db(data_dir)
    try:
        ids.update(row[0] for row in conn.execute("SELECT scene_id FROM work"))
    finally:
        conn.close()
    return ids
