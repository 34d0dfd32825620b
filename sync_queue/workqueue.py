"""The worker's persistent queue: client-go's workqueue contract over SQLite (`queue.db`),
with persist-queue's SQLiteAckQueue as the ledger of the scenes handed out.

States, transitions and outcome semantics are specified once in sync_queue.jobs; the
in-memory reference (tests.queue.memqueue) implements the same contract and the same
contract tests run against both. Every call is one short BEGIN IMMEDIATE transaction, so a
SIGKILL at any instant leaves the state before or after the call, never in between.
Finished rows are deleted, so the table holds only pending work.

Handed-out scenes also pass through persist-queue (`HandOutChannel`, below), on the same
connection and inside the same transactions, so persist-queue holds exactly the in-flight
set. Worker side only; `sync_queue.queuedb` opens the same file without persist-queue.

Who may call what: every method is transactional and safe from any process (a status task
reading counts, "Retry Failed" adding rows while a worker runs). `resume_in_flight` is the
one exception: it must run only in the process holding the worker lock, at its start,
because it takes in-flight scenes away from whoever holds them.

Over ~400 lines on purpose: the channel exists only inside the work queue's transactions
(it runs on the queue's connection and never commits); apart, one invariant (a row is
processing iff its channel entry is live) would be split over two files.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable

from persistqueue.serializers import json as _pq_json
from persistqueue.sqlackqueue import AckStatus, SQLiteAckQueue

from sync_queue.db import JOURNAL_AUTO, integrity_problems, write_txn
from sync_queue.jobs import Job, QueueCounts, WorkItem, clip_message
from sync_queue.queuedb import (
    FailedList,
    add_rows,
    delete_failed,
    open_queue_db,
    read_items,
    read_job,
    upsert_failed,
)

__all__ = ["CHANNEL_NAME", "HandOutChannel", "WorkQueue"]

CHANNEL_NAME = "handout"  # persist-queue's table: ack_queue_handout

# The row of a processing scene as the outcome calls need it.
_CLAIM_SQL = "SELECT dirty, pqid, attempts FROM work WHERE scene_id = ? AND state = 'processing'"
# Back to queued, out of the channel; ready_at is bound by each caller.
_REQUEUE = "state = 'queued', dirty = 1, pqid = NULL, claimed_at = NULL, updated_at = ?"


class WorkQueue:
    """The work queue in `data_dir/queue.db`; `clock` supplies `now` when a call omits it."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
        journal: str = JOURNAL_AUTO,
        vfs: str | None = None,
    ) -> None:
        self.data_dir = os.fspath(data_dir)
        self._clock = clock
        self._conn = open_queue_db(
            self.data_dir, busy_timeout=busy_timeout, journal=journal, vfs=vfs
        )
        try:
            self._channel = HandOutChannel(self._conn, self.data_dir)
        except BaseException:
            self._conn.close()
            raise
        self._failed = FailedList(conn=self._conn, clock=clock)

    def close(self) -> None:
        self._channel.close()
        self._conn.close()

    def __enter__(self) -> WorkQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else float(now)

    @property
    def failed(self) -> FailedList:
        return self._failed

    # --- adding -----------------------------------------------------------------------------

    def add(self, scene_id: int, ready_at: float | None = None, now: float | None = None) -> bool:
        """Contract add; True when the scene became dirty (new work), False when it collapsed."""
        return self.add_many([scene_id], ready_at, now) == 1

    def add_many(
        self, scene_ids: Iterable[int], ready_at: float | None = None, now: float | None = None
    ) -> int:
        """Add every id in one transaction; returns how many became dirty."""
        now = self._now(now)
        ready = now if ready_at is None else float(ready_at)
        items = dict.fromkeys((int(s) for s in scene_ids), ready)
        if not items:
            return 0
        with write_txn(self._conn):
            return add_rows(self._conn, items, now)

    # --- handing out ------------------------------------------------------------------------

    def get(self, now: float | None = None) -> Job | None:
        jobs = self.get_batch(1, now)
        return jobs[0] if jobs else None

    def get_batch(self, n: int, now: float | None = None) -> list[Job]:
        """Claim up to `n` due scenes, earliest ready_at first (ties: lower scene id)."""
        now = self._now(now)
        if n <= 0:
            return []
        conn = self._conn
        with write_txn(conn):
            ids = [
                int(row[0])
                for row in conn.execute(
                    "SELECT scene_id FROM work WHERE state = 'queued' AND ready_at <= ?"
                    " ORDER BY ready_at, scene_id LIMIT ?",
                    (now, int(n)),
                ).fetchall()
            ]
            jobs = []
            for sid in ids:
                pqid = self._channel.hand_out(sid)
                conn.execute(
                    "UPDATE work SET state = 'processing', dirty = 0, claimed_at = ?,"
                    " updated_at = ?, pqid = ? WHERE scene_id = ?",
                    (now, now, pqid, sid),
                )
                job = read_job(conn, sid)
                if job is not None:
                    jobs.append(job)
        return jobs

    # --- outcomes (one per handed-out scene) ------------------------------------------------

    def _claimed(self, scene_id: int) -> tuple[bool, int] | None:
        """(dirty, attempts) of a processing scene after retiring its channel entry."""
        row = self._conn.execute(_CLAIM_SQL, (int(scene_id),)).fetchone()
        if row is None:
            return None
        self._channel.ack(int(row[1]))
        return bool(row[0]), int(row[2])

    def done(self, scene_id: int, now: float | None = None) -> bool:
        """Success: the row goes, or is queued once more if re-added meanwhile (then True)."""
        now = self._now(now)
        with write_txn(self._conn):
            claimed = self._claimed(scene_id)
            if claimed is None:
                return False
            delete_failed(self._conn, [scene_id])
            if not claimed[0]:
                self._conn.execute("DELETE FROM work WHERE scene_id = ?", (scene_id,))
                return False
            self._conn.execute(
                f"UPDATE work SET {_REQUEUE}, attempts = 0, waits = 0, last_error_class = NULL,"
                " last_error = NULL, wait_reason = NULL WHERE scene_id = ?",
                (now, scene_id),
            )
            return True

    def retry(
        self,
        scene_id: int,
        delay: float,
        error_class: str,
        message: str,
        now: float | None = None,
    ) -> int | None:
        """Transient failure: queued again at now + delay with one more attempt counted.

        Returns the new attempt count (None if the scene was not processing).
        """
        now = self._now(now)
        at = now + float(delay)
        with write_txn(self._conn):
            claimed = self._claimed(scene_id)
            if claimed is None:
                return None
            self._conn.execute(
                f"UPDATE work SET {_REQUEUE}, ready_at = CASE WHEN dirty = 1"
                " THEN MIN(ready_at, ?) ELSE ? END, attempts = attempts + 1,"
                " last_error_class = ?, last_error = ? WHERE scene_id = ?",
                (now, at, at, error_class, clip_message(message), scene_id),
            )
            return claimed[1] + 1

    def wait(self, scene_id: int, delay: float, reason: str = "", now: float | None = None) -> bool:
        """Not an error (e.g. Plex has not scanned the file yet): queued again after `delay`."""
        now = self._now(now)
        at = now + float(delay)
        with write_txn(self._conn):
            if self._claimed(scene_id) is None:
                return False
            self._conn.execute(
                f"UPDATE work SET {_REQUEUE}, ready_at = CASE WHEN dirty = 1"
                " THEN MIN(ready_at, ?) ELSE ? END, waits = waits + 1, wait_reason = ?"
                " WHERE scene_id = ?",
                (now, at, at, clip_message(reason), scene_id),
            )
            return True

    def fail(self, scene_id: int, error_class: str, message: str, now: float | None = None) -> bool:
        """Permanent failure: into the failed list; queued afresh if re-added meanwhile."""
        now = self._now(now)
        with write_txn(self._conn):
            claimed = self._claimed(scene_id)
            if claimed is None:
                return False
            dirty, attempts = claimed
            upsert_failed(self._conn, scene_id, error_class, message, attempts + 1, now)
            if not dirty:
                self._conn.execute("DELETE FROM work WHERE scene_id = ?", (scene_id,))
                return True
            self._conn.execute(
                f"UPDATE work SET {_REQUEUE}, attempts = 0, waits = 0, last_error_class = ?,"
                " last_error = ? WHERE scene_id = ?",
                (now, error_class, clip_message(message), scene_id),
            )
            return True

    def release(self, scene_id: int, now: float | None = None) -> bool:
        """The run stopped before an outcome (Plex unreachable): queued again, untouched."""
        now = self._now(now)
        with write_txn(self._conn):
            if self._claimed(scene_id) is None:
                return False
            self._conn.execute(
                "UPDATE work SET ready_at = MIN(ready_at, COALESCE(claimed_at, ready_at)),"
                f" {_REQUEUE} WHERE scene_id = ?",
                (now, scene_id),
            )
            return True

    # --- removal and recovery ---------------------------------------------------------------

    def drop(self, scene_id: int) -> bool:
        """Forget a (destroyed) scene in any state, with its failed entry; True if queued."""
        with write_txn(self._conn):
            row = self._conn.execute(
                "SELECT pqid FROM work WHERE scene_id = ?", (int(scene_id),)
            ).fetchone()
            delete_failed(self._conn, [int(scene_id)])
            if row is None:
                return False
            if row[0] is not None:
                self._channel.ack(int(row[0]))
            self._conn.execute("DELETE FROM work WHERE scene_id = ?", (int(scene_id),))
            return True

    def clear(self) -> int:
        """Remove every row, in flight or not (the "Clear Queue" task); returns the count."""
        with write_txn(self._conn):
            for (pqid,) in self._conn.execute(
                "SELECT pqid FROM work WHERE pqid IS NOT NULL"
            ).fetchall():
                self._channel.ack(int(pqid))
            return max(self._conn.execute("DELETE FROM work").rowcount, 0)

    def resume_in_flight(self, now: float | None = None) -> int:
        """Put every in-flight scene back in the queue; ONLY under the worker lock, at start.

        Runs persist-queue's auto_resume routine on the channel and retires what it resumed,
        then moves processing rows back to queued (dirty, due no later than their claim),
        all in one transaction. Returns the number of scenes moved back.
        """
        now = self._now(now)
        with write_txn(self._conn):
            for pqid, _scene_id in self._channel.resume():
                self._channel.ack(pqid)
            cur = self._conn.execute(
                "UPDATE work SET ready_at = MIN(ready_at, COALESCE(claimed_at, ready_at)),"
                f" {_REQUEUE} WHERE state = 'processing'",
                (now,),
            )
            return max(cur.rowcount, 0)

    # --- queries ----------------------------------------------------------------------------

    def get_queued_scene_ids(self) -> set[int]:
        """Every scene with pending work, queued or in flight (one SELECT of the key)."""
        return {row[0] for row in self._conn.execute("SELECT scene_id FROM work")}

    def counts(self, now: float | None = None) -> QueueCounts:
        now = self._now(now)
        queued, due, processing = self._conn.execute(
            "SELECT COALESCE(SUM(state = 'queued'), 0),"
            " COALESCE(SUM(state = 'queued' AND ready_at <= ?), 0),"
            " COALESCE(SUM(state = 'processing'), 0) FROM work",
            (now,),
        ).fetchone()
        return QueueCounts(int(queued), int(due), int(processing), self._failed.count())

    def next_due_at(self) -> float | None:
        """When work is next due; in-flight scenes count as due at their claim time."""
        queued = self._conn.execute(
            "SELECT MIN(ready_at) FROM work WHERE state = 'queued'"
        ).fetchone()[0]
        claimed = self._conn.execute(
            "SELECT MIN(MIN(ready_at, COALESCE(claimed_at, ready_at))) FROM work"
            " WHERE state = 'processing'"
        ).fetchone()[0]
        times = [t for t in (queued, claimed) if t is not None]
        return min(times) if times else None

    def items(self) -> list[WorkItem]:
        return read_items(self._conn)

    def consistency_problems(self) -> list[str]:
        """Integrity check plus the queue's own invariants (empty when all is well)."""
        problems = integrity_problems(self._conn)
        unack = self._channel.unack_status()
        live = {pqid: (sid, st) for pqid, sid, st in self._channel.entries()}
        rows = self._conn.execute(
            "SELECT scene_id, pqid FROM work WHERE state = 'processing'"
        ).fetchall()
        for sid, pqid in rows:
            if live.pop(pqid, None) != (sid, unack):
                problems.append(f"scene {sid} is processing without its channel entry {pqid}")
        problems.extend(f"stray channel entry {pqid}: {entry}" for pqid, entry in live.items())
        return problems


# --- the hand-out channel ------------------------------------------------------------------


class _SharedConnection:
    """The work queue's connection as persist-queue sees it: commits and closes are no-ops."""

    __slots__ = ("_conn", "text_factory")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.text_factory: object = str

    def execute(self, sql: str, params: object = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)  # type: ignore[arg-type]

    def cursor(self) -> sqlite3.Cursor:
        return self._conn.cursor()

    def commit(self) -> None:
        """The work queue commits (or rolls back) the transaction this statement joined."""

    def close(self) -> None:
        """The work queue owns the connection."""

    def __enter__(self) -> _SharedConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class _ChannelQueue(SQLiteAckQueue):
    """SQLiteAckQueue bound to an existing connection (see HandOutChannel)."""

    def __init__(self, conn: sqlite3.Connection, data_dir: str) -> None:
        self._shared = _SharedConnection(conn)
        super().__init__(data_dir, auto_resume=False, name=CHANNEL_NAME, serializer=_pq_json)

    def _new_db_connection(self, path: object, multithreading: object, timeout: object) -> object:
        return self._shared


class HandOutChannel:
    """Put/take/ack of scene ids; every call joins the caller's open transaction.

    `hand_out` is persist-queue's put then get (status "unack"); done/retry/wait/fail/
    release/drop `ack` it. At worker start, under the worker lock, `resume` runs
    persist-queue's own auto_resume routine (`resume_unack_tasks`: unack → ready); the work
    queue then returns those scenes to its own queue and retires the entries.

    Why persist-queue is not the queue itself (read from persist-queue 1.1.0's source):
    - `UniqueAckQ` keeps UNIQUE(data) across every status, so a re-put of an in-flight (or acked
      but not yet cleared) item is silently dropped: the opposite of "an edit during processing
      runs once more". The plain `SQLiteAckQueue` has no coalescing at all, no delays (strict
      FIFO by _id), no per-item attempts, and `total`/`_unack_cache` live in process memory.
    - Every operation runs in a transaction of its own (`with_conditional_transaction` →
      `with conn:` commits), so on its own connection no persist-queue operation could ever be
      atomic with the project's table: a SIGKILL between the two writes would leave them
      disagreeing. Its connection also forces `PRAGMA journal_mode=WAL`, which the plugin may
      not assume (network shares).

    How it is used faithfully anyway: `_new_db_connection` (persist-queue's connection factory)
    returns the work queue's own connection behind `_SharedConnection`, whose commit() does
    nothing. Each persist-queue statement therefore runs inside the transaction the work queue
    has open, so the channel and the `work` table change atomically; there is nothing to
    reconcile after a crash beyond what auto_resume does. The project table stays the source of
    truth for coalescing, delays, attempts and every query (no unpickling anywhere: items are
    JSON ints). The persist-queue internals relied on (pinned 1.1.0) are exercised by the tests.
    """

    def __init__(self, conn: sqlite3.Connection, data_dir: str) -> None:
        self._queue = _ChannelQueue(conn, data_dir)

    def hand_out(self, scene_id: int) -> int:
        """Pass `scene_id` through the ack queue (put, then get); returns its entry id.

        The channel holds no ready entries between transactions, so the get returns this
        put; checked, because handing out a different scene would break the queue's state.
        """
        pqid = int(self._queue.put(int(scene_id)))
        item = self._queue.get(block=False, raw=True)
        if int(item["pqid"]) != pqid or int(item["data"]) != scene_id:
            raise RuntimeError(f"hand-out channel out of step: expected entry {pqid}, got {item}")
        return pqid

    def ack(self, pqid: int) -> None:
        """Retire an entry: acked, then cleared (the channel never grows)."""
        self._queue.ack(id=int(pqid))
        self._queue.clear_acked_data(max_delete=0, keep_latest=0)

    def resume(self) -> list[tuple[int, int]]:
        """Run persist-queue's auto_resume (unack → ready); returns the live (pqid, scene_id)."""
        self._queue.resume_unack_tasks()
        acked = int(AckStatus.acked)
        return [(pqid, sid) for pqid, sid, status in self.entries() if status != acked]

    def entries(self) -> list[tuple[int, int, int]]:
        """Every entry as (pqid, scene_id, status) — status as in persist-queue's AckStatus."""
        return [
            (int(row["id"]), int(row["data"]), int(row["status"])) for row in self._queue.queue()
        ]

    @staticmethod
    def unack_status() -> int:
        return int(AckStatus.unack)

    def close(self) -> None:
        """Drop persist-queue's references (its close() is a no-op on the shared connection)."""
        self._queue.close()
