"""The failed list: scenes that failed permanently, with reason class, message and attempts.

Lives in `queue.db` beside the work queue so that "retry failed" moves entries back into the
queue in one transaction. Opened standalone by the status and failed-list tasks (no
persist-queue needed), or through `WorkQueue.failed` on the worker's connection.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
import time
from collections.abc import Callable

from sync_queue.db import JOURNAL_AUTO, write_txn
from sync_queue.jobs import FailedEntry
from sync_queue.queuedb import (
    add_rows,
    delete_failed,
    open_queue_db,
    read_failed,
    read_failed_entry,
    upsert_failed,
)

__all__ = ["FailedList"]


class FailedList:
    """Failed entries keyed by scene id; `conn` shares the work queue's connection."""

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
