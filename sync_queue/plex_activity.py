"""The views read from Plex's play history and the pull's bookkeeping (table `plex_view`).

Every view is stored once, keyed by Plex's `historyKey`; a view is `delivered` once Stash
holds it as a play, so a scene synced later gets its earlier views without another request.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sync_queue.db import write_txn

__all__ = ["PlexActivityStore", "StoredView", "create_tables"]

_CHUNK = 500
HISTORY_MARK = "history_mark"  # the newest viewedAt read (whole seconds), after a full read
RATED_MARK = "rated_mark"  # the newest lastRatedAt seen
LAST_PULL = "last_pull"  # JSON report of the last pull (View Status)


def create_tables(conn: sqlite3.Connection) -> None:
    """The migration's statements (sync_state._schema_plex_activity)."""
    conn.execute(
        "CREATE TABLE plex_view ("
        " history_key TEXT PRIMARY KEY, rating_key INTEGER NOT NULL,"
        " account_id INTEGER NOT NULL, viewed_at INTEGER NOT NULL,"
        " delivered INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute("CREATE INDEX plex_view_pending ON plex_view (delivered, rating_key)")
    # v0.24: an absolute play_count write in flight (scene, count before, count wanted), so
    # a run killed between the write and the bookkeeping never counts a view twice.
    conn.execute(
        "CREATE TABLE plex_play_count ("
        " scene_id INTEGER PRIMARY KEY, before INTEGER NOT NULL, wanted INTEGER NOT NULL)"
    )
    conn.execute("CREATE TABLE plex_activity_meta (key TEXT PRIMARY KEY, value TEXT)")


@dataclass(frozen=True)
class StoredView:
    history_key: str
    rating_key: int
    account_id: int
    viewed_at: int


class PlexActivityStore:
    """The activity tables inside `sync_state.db` (one connection, short transactions)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # --- views ---------------------------------------------------------------------------

    def add_views(self, views: Iterable[StoredView]) -> int:
        """Store views not seen before; returns how many were new."""
        rows = [(v.history_key, v.rating_key, v.account_id, v.viewed_at) for v in views]
        with write_txn(self._conn) as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO plex_view (history_key, rating_key, account_id,"
                " viewed_at) VALUES (?, ?, ?, ?)",
                rows,
            )
            return conn.total_changes - before

    def pending(self, accounts: Iterable[int] | None) -> list[StoredView]:
        """Views not yet delivered to Stash (of `accounts`; None: every account)."""
        rows = self._conn.execute(
            "SELECT history_key, rating_key, account_id, viewed_at FROM plex_view"
            " WHERE delivered = 0 ORDER BY viewed_at, history_key"
        ).fetchall()
        wanted = None if accounts is None else set(accounts)
        return [StoredView(*row) for row in rows if wanted is None or row[2] in wanted]

    def views_of(
        self, rating_keys: Iterable[int], accounts: Iterable[int] | None
    ) -> list[StoredView]:
        """Every stored view (delivered or not) of these items."""
        keys = list(dict.fromkeys(int(k) for k in rating_keys))
        wanted = None if accounts is None else set(accounts)
        found: list[StoredView] = []
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found += [
                StoredView(*row)
                for row in self._conn.execute(
                    "SELECT history_key, rating_key, account_id, viewed_at FROM plex_view"
                    f" WHERE rating_key IN ({marks})",
                    chunk,
                )
                if wanted is None or row[2] in wanted
            ]
        return found

    def mark_delivered(self, history_keys: Iterable[str]) -> None:
        keys = [(k,) for k in history_keys]
        with write_txn(self._conn) as conn:
            conn.executemany("UPDATE plex_view SET delivered = 1 WHERE history_key = ?", keys)

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM plex_view").fetchone()[0])

    # --- v0.24 play_count writes in flight -----------------------------------------------

    def count_intents(self) -> dict[int, tuple[int, int]]:
        rows = self._conn.execute("SELECT scene_id, before, wanted FROM plex_play_count")
        return {int(sid): (int(before), int(wanted)) for sid, before, wanted in rows}

    def begin_count(self, scene_id: int, before: int, wanted: int) -> None:
        with write_txn(self._conn) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO plex_play_count (scene_id, before, wanted) VALUES (?,?,?)",
                (int(scene_id), int(before), int(wanted)),
            )

    def end_count(self, scene_id: int, history_keys: Iterable[str]) -> None:
        """The write is done: its views delivered and the intent dropped, in one transaction."""
        keys = [(k,) for k in history_keys]
        with write_txn(self._conn) as conn:
            conn.executemany("UPDATE plex_view SET delivered = 1 WHERE history_key = ?", keys)
            conn.execute("DELETE FROM plex_play_count WHERE scene_id = ?", (int(scene_id),))

    # --- marks and the report ------------------------------------------------------------

    def mark(self, key: str) -> int:
        row = self._conn.execute(
            "SELECT value FROM plex_activity_meta WHERE key = ?", (key,)
        ).fetchone()
        try:
            return int(row[0]) if row else 0
        except (TypeError, ValueError):
            return 0

    def set_mark(self, key: str, value: int) -> None:
        self._put(key, str(int(value)))

    def report(self) -> dict[str, object] | None:
        row = self._conn.execute(
            "SELECT value FROM plex_activity_meta WHERE key = ?", (LAST_PULL,)
        ).fetchone()
        try:
            value = json.loads(row[0]) if row else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def save_report(self, report: Mapping[str, object]) -> None:
        self._put(LAST_PULL, json.dumps(dict(report), sort_keys=True))

    def _put(self, key: str, value: str) -> None:
        with write_txn(self._conn) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO plex_activity_meta (key, value) VALUES (?, ?)",
                (key, value),
            )
