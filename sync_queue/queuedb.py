"""The worker's database file `queue.db`: its schema and the row operations shared by the
work queue and the failed list (which must change both tables in one transaction).

Tables: `work` (one row per scene with pending work; see sync_queue.jobs for the states),
`failed` (the failed list), and persist-queue's `ack_queue_handout` (the hand-out channel,
created and owned by persist-queue; see sync_queue.channel).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable

from sync_queue.db import JOURNAL_AUTO, open_database
from sync_queue.jobs import FailedEntry, Job, WorkItem, clip_message

__all__ = [
    "QUEUE_FILE",
    "add_rows",
    "delete_failed",
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
