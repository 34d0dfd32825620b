"""The hand-out channel: persist-queue's SQLiteAckQueue as the ledger of scenes handed out.

Worker side only. Every scene the work queue hands out passes through a persist-queue
`SQLiteAckQueue` (put, then get: status "unack"); done/retry/wait/fail/release/drop ack it.
At worker start, under the worker lock, `resume` runs persist-queue's own auto_resume
routine (`resume_unack_tasks`: unack → ready); the work queue then returns those scenes to
its own queue and retires the entries. So persist-queue holds exactly the in-flight set.

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

from __future__ import annotations

import sqlite3

from persistqueue.serializers import json as _pq_json
from persistqueue.sqlackqueue import AckStatus, SQLiteAckQueue

__all__ = ["CHANNEL_NAME", "HandOutChannel"]

CHANNEL_NAME = "handout"  # persist-queue's table: ack_queue_handout


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
    """SQLiteAckQueue bound to an existing connection (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, data_dir: str) -> None:
        self._shared = _SharedConnection(conn)
        super().__init__(data_dir, auto_resume=False, name=CHANNEL_NAME, serializer=_pq_json)

    def _new_db_connection(self, path: object, multithreading: object, timeout: object) -> object:
        return self._shared


class HandOutChannel:
    """Put/take/ack of scene ids; every call joins the caller's open transaction."""

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
