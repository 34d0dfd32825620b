"""The hook inbox: what hooks record (scene and entity ids), waiting for the worker to take it.

Standard library only and cheap to import (no typing, no dataclasses): every hook process
imports it and records its work in one short write transaction of `inbox.db`. Contract:

- Rows are keyed by (kind, ref_id); recording an id that is already pending collapses into
  that row: the earlier `ready_at` wins, and the row's `version` is bumped so a worker that
  read the row before the collapse does not delete it (it is simply taken again).
- Payloads (e.g. an entity hook's inputFields as JSON) collapse to the common value, or to
  NULL ("unknown: assume everything changed") when two records disagree.
- `scene_destroy` supersedes pending `scene` rows of the same ids (dropped in the same
  transaction), `<entity>_destroy` pending `<entity>` rows; rows are handed to the worker
  in recording order (`seq`), so a destroy and a later re-creation of a reused id reach the
  queue in the order they happened.
- The worker moves due rows into its queue with `drain_due`: a row is deleted only after
  `into(rows)` returned (the queue has committed them), and only if it did not change
  meanwhile; a crash in between leaves the row, and taking it again is a harmless duplicate
  add that the queue collapses.

The bulk rule (record_bulk) is documented on the method and in docs/queue.md.

Slightly over ~400 lines on purpose: the hook-side and worker-side halves of the inbox share
one connection policy and row contract; splitting them would make the hook import both.
"""

from __future__ import annotations

import os
import time

from sync_queue.db import JOURNAL_AUTO, open_database, write_txn

TYPE_CHECKING = False  # typing costs ~5 ms per hook process; annotations are strings anyway
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterable

__all__ = [
    "BULK_WINDOW_S",
    "INBOX_FILE",
    "Inbox",
    "InboxRow",
    "bulk_signature",
]

INBOX_FILE = "inbox.db"
BULK_WINDOW_S = 300.0  # a later hook of the same bulk arrives within this of the previous one
_BULK_RETENTION_S = 86400.0
# A destroy makes pending updates of the same id pointless (the scene or entity is gone).
_SUPERSEDES = {
    "scene_destroy": ("scene",),
    "performer_destroy": ("performer",),
    "studio_destroy": ("studio",),
    "tag_destroy": ("tag",),
    "group_destroy": ("group",),
}
_QUEUE_DUE_KEY = "queue_due_at"
_ROW_COLUMNS = "seq, kind, ref_id, ready_at, reason, payload, recorded_at, version"


def _schema_v1(conn: sqlite3.Connection) -> None:
    # AUTOINCREMENT: a seq is never reused, so a drain deleting by (seq, version) can never
    # hit a row recorded after it read.
    conn.execute(
        "CREATE TABLE inbox ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " kind TEXT NOT NULL,"
        " ref_id INTEGER NOT NULL,"
        " ready_at REAL NOT NULL,"
        " reason TEXT NOT NULL,"
        " payload TEXT,"
        " recorded_at REAL NOT NULL,"
        " version INTEGER NOT NULL DEFAULT 0,"
        " UNIQUE (kind, ref_id))"
    )
    conn.execute("CREATE INDEX inbox_ready ON inbox (ready_at)")
    conn.execute("CREATE TABLE bulk_seen (signature TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
    conn.execute("CREATE INDEX bulk_seen_at ON bulk_seen (seen_at)")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value REAL)")


_MIGRATIONS = (_schema_v1,)


class InboxRow:
    """One pending record. A slotted class, not a dataclass: dataclasses cost a hook ~14 ms."""

    __slots__ = ("kind", "payload", "ready_at", "reason", "recorded_at", "ref_id", "seq", "version")

    def __init__(
        self,
        seq: int,
        kind: str,
        ref_id: int,
        ready_at: float,
        reason: str,
        payload: str | None,
        recorded_at: float,
        version: int,
    ) -> None:
        self.seq = seq
        self.kind = kind
        self.ref_id = ref_id
        self.ready_at = ready_at
        self.reason = reason
        self.payload = payload
        self.recorded_at = recorded_at
        self.version = version

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InboxRow) and self._key() == other._key()

    def __repr__(self) -> str:
        return (
            f"InboxRow(seq={self.seq}, kind={self.kind!r}, ref_id={self.ref_id}, "
            f"ready_at={self.ready_at}, reason={self.reason!r}, version={self.version})"
        )


def bulk_signature(kind: str, ids: Iterable[object], hook_input: object) -> str:
    """A stable digest of one bulk edit: kind, ids in order, and the bulk input as JSON.

    Every hook of one bulk edit gets the same input, hence the same signature.
    """
    import hashlib  # lazily: only bulk hooks need it
    import json

    text = json.dumps([kind, [str(i) for i in ids], hook_input], sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class Inbox:
    """The inbox file `inbox.db` in `data_dir`; opened lazily, one connection per instance."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        busy_timeout: float = 10.0,
        journal: str = JOURNAL_AUTO,
        vfs: str | None = None,
    ) -> None:
        self.path = os.path.join(os.fspath(data_dir), INBOX_FILE)
        self._options = (busy_timeout, journal, vfs)
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            busy_timeout, journal, vfs = self._options
            self._db = open_database(
                self.path, _MIGRATIONS, busy_timeout=busy_timeout, journal=journal, vfs=vfs
            )
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- hooks ------------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        ids: Iterable[int],
        reason: str,
        ready_at: float | None = None,
        now: float | None = None,
        payload: str | None = None,
    ) -> int:
        """Record pending work for `ids` of `kind`; returns the number of rows newly recorded.

        `ready_at` (default: now) delays the work; `payload` is optional JSON text for entity
        kinds. Raises ValueError for a malformed kind or id (nothing is recorded then).
        """
        kind = _check_kind(kind)
        refs = _check_ids(ids)
        if not refs:
            return 0
        now = time.time() if now is None else float(now)
        ready = now if ready_at is None else float(ready_at)
        conn = self._conn()
        with write_txn(conn):
            _drop_superseded(conn, kind, refs)
            return _upsert(conn, kind, refs, ready, reason, payload, now)

    def record_bulk(
        self,
        kind: str,
        ids: Iterable[int],
        signature: str,
        hook_id: int,
        now: float | None = None,
        reason: str = "bulk",
    ) -> int:
        """Record a bulk edit so that its first hook records every id and later ones nothing.

        Rule (one transaction): the hook whose id is `ids[0]` always records all ids; any
        other hook records all ids only when `signature` was not seen within BULK_WINDOW_S,
        and nothing otherwise. Every hook refreshes the signature's time, so a bulk of any
        length stays recognised while its hooks keep coming. Consequences: the later hooks of
        a bulk find nothing new; a repeated identical bulk is recorded again by its first
        hook; if the first hook died before committing, the next one records everything; a
        hook whose own id is missing from `ids` still records its own id.
        """
        kind = _check_kind(kind)
        refs = _check_ids(ids)
        own = _check_ids((hook_id,))[0]
        now = time.time() if now is None else float(now)
        conn = self._conn()
        with write_txn(conn):
            seen = conn.execute(
                "SELECT seen_at FROM bulk_seen WHERE signature = ?", (signature,)
            ).fetchone()
            fresh = seen is not None and now - float(seen[0]) <= BULK_WINDOW_S
            first = bool(refs) and refs[0] == own
            targets = refs if first or not fresh else []
            if own not in refs:
                targets = [*targets, own]
            conn.execute(
                "INSERT OR REPLACE INTO bulk_seen (signature, seen_at) VALUES (?, ?)",
                (signature, now),
            )
            if not fresh:
                conn.execute("DELETE FROM bulk_seen WHERE seen_at < ?", (now - _BULK_RETENTION_S,))
            if not targets:
                return 0
            _drop_superseded(conn, kind, targets)
            return _upsert(conn, kind, targets, now, reason, None, now)

    def drop(self, kind: str, ids: Iterable[int]) -> int:
        """Forget pending rows of `kind` for `ids` (e.g. a destroyed scene); returns count."""
        kind = _check_kind(kind)
        refs = _check_ids(ids)
        if not refs:
            return 0
        conn = self._conn()
        with write_txn(conn):
            cur = conn.executemany(
                "DELETE FROM inbox WHERE kind = ? AND ref_id = ?", [(kind, r) for r in refs]
            )
            return max(cur.rowcount, 0)

    # --- worker -----------------------------------------------------------------------------

    def requeue_later(
        self,
        kind: str,
        ids: Iterable[int],
        ready_at: float,
        reason: str = "retry",
        now: float | None = None,
    ) -> int:
        """Put work back to wait until `ready_at` (never delays a row that is already due)."""
        return self.record(kind, ids, reason, ready_at=ready_at, now=now)

    def take_due(self, now: float | None = None, limit: int = 1000) -> list[InboxRow]:
        """Up to `limit` due rows in recording order; nothing is removed (see delete)."""
        now = time.time() if now is None else float(now)
        sql = f"SELECT {_ROW_COLUMNS} FROM inbox WHERE ready_at <= ? ORDER BY seq LIMIT ?"
        return [InboxRow(*row) for row in self._conn().execute(sql, (now, int(limit)))]

    def delete(self, rows: Iterable[InboxRow]) -> int:
        """Delete rows taken earlier, each only if unchanged since (same seq and version)."""
        keys = [(row.seq, row.version) for row in rows]
        if not keys:
            return 0
        conn = self._conn()
        with write_txn(conn):
            cur = conn.executemany("DELETE FROM inbox WHERE seq = ? AND version = ?", keys)
            return max(cur.rowcount, 0)

    def drain_due(
        self,
        now: float | None,
        limit: int,
        into: Callable[[list[InboxRow]], object],
    ) -> int:
        """Hand up to `limit` due rows to `into` (which must commit them), then delete them.

        Returns the number of rows handed over. If `into` raises, nothing is deleted.
        """
        rows = self.take_due(now, limit)
        if rows:
            into(rows)
            self.delete(rows)
        return len(rows)

    def publish_queue_due(self, next_due_at: float | None) -> None:
        """The worker's note of when its own queue next has due work (None: nothing queued).

        Lets a hook apply the wake-up rule ("due retries left by an earlier run count") from
        the inbox alone. Publish conservatively early: a stale early value only costs an
        extra wake-up, a stale late one would delay work.
        """
        conn = self._conn()
        with write_txn(conn):
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (_QUEUE_DUE_KEY, next_due_at),
            )

    def queue_due_at(self) -> float | None:
        sql = "SELECT value FROM meta WHERE key = ?"
        row = self._conn().execute(sql, (_QUEUE_DUE_KEY,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    # --- queries ----------------------------------------------------------------------------

    def has_due(self, now: float | None = None) -> bool:
        """True when an inbox row is due or the worker's queue published due work by `now`."""
        now = time.time() if now is None else float(now)
        conn = self._conn()
        if conn.execute("SELECT 1 FROM inbox WHERE ready_at <= ? LIMIT 1", (now,)).fetchone():
            return True
        queue_due = self.queue_due_at()
        return queue_due is not None and queue_due <= now

    def next_due_at(self) -> float | None:
        """Earliest ready_at over the inbox and the published queue due time, or None."""
        row = self._conn().execute("SELECT MIN(ready_at) FROM inbox").fetchone()
        times = [t for t in (row[0] if row else None, self.queue_due_at()) if t is not None]
        return min(times) if times else None

    def pending_count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM inbox").fetchone()[0])

    def pending_ids(self, kind: str) -> set[int]:
        """Ids of `kind` with a pending row (one indexed SELECT)."""
        rows = self._conn().execute("SELECT ref_id FROM inbox WHERE kind = ?", (kind,))
        return {int(row[0]) for row in rows.fetchall()}

    def rows(self) -> list[InboxRow]:
        """Every pending row in recording order (status output, tests)."""
        rows = self._conn().execute(f"SELECT {_ROW_COLUMNS} FROM inbox ORDER BY seq").fetchall()
        return [InboxRow(*row) for row in rows]


def _upsert(
    conn: sqlite3.Connection,
    kind: str,
    refs: list[int],
    ready: float,
    reason: str,
    payload: str | None,
    now: float,
) -> int:
    """Collapse into pending rows, insert the others; returns the number inserted.

    The UPDATE runs first so it only ever touches rows that existed before this record.
    """
    conn.executemany(
        "UPDATE inbox SET version = version + 1, ready_at = MIN(ready_at, ?),"
        " payload = CASE WHEN payload IS ? THEN payload ELSE NULL END"
        " WHERE kind = ? AND ref_id = ?",
        [(ready, payload, kind, ref) for ref in refs],
    )
    cur = conn.executemany(
        "INSERT OR IGNORE INTO inbox (kind, ref_id, ready_at, reason, payload, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(kind, ref, ready, reason, payload, now) for ref in refs],
    )
    return max(cur.rowcount, 0)


def _drop_superseded(conn: sqlite3.Connection, kind: str, refs: list[int]) -> None:
    for older in _SUPERSEDES.get(kind, ()):
        conn.executemany(
            "DELETE FROM inbox WHERE kind = ? AND ref_id = ?", [(older, ref) for ref in refs]
        )


def _check_kind(kind: object) -> str:
    word = kind.replace("_", "") if isinstance(kind, str) else ""
    if not (word.isascii() and word.isalpha() and word.islower()):
        raise ValueError(f"inbox kind must be a word like 'scene', not {kind!r}")
    return kind  # type: ignore[return-value]


def _check_ids(ids: Iterable[object]) -> list[int]:
    """Positive ints (or digit strings, as in hookContext.input), deduplicated, order kept."""
    if isinstance(ids, (str, bytes)):
        raise ValueError("ids must be an iterable of ids, not a string")
    out: dict[int, None] = {}
    for raw in ids:
        if isinstance(raw, bool):
            raise ValueError(f"not an id: {raw!r}")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isdigit():
            value = int(raw.strip())
        else:
            raise ValueError(f"not an id: {raw!r}")
        if value <= 0:
            raise ValueError(f"not an id: {raw!r}")
        out[value] = None
    return list(out)
