"""The memory of edits Plex refused for one item (issue 15): (scene, item, field, value) rows
in `sync_state.db`, so a refused value is not sent again until Stash's value changes.

A row holds the fingerprint of the refused value and the HTTP status Plex answered; the writer
skips a field whose desired value still has that fingerprint. Retry Failed forgets every row
(`forget_refusals` with no ids). The table is created by `schema_refusals`, one migration step
of `sync_queue.sync_state` kept here so it merges apart from the other steps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sync_queue.db import write_txn

__all__ = [
    "StoredRefusal",
    "forget_refusals",
    "load_refusals",
    "replace_refusals",
    "schema_refusals",
]

_CHUNK = 500


@dataclass(frozen=True)
class StoredRefusal:
    """Plex answered `status` to an edit of `field` on item `rating_key` carrying the value
    whose fingerprint is `fingerprint`."""

    rating_key: int
    field: str
    fingerprint: str
    status: int


def schema_refusals(conn: sqlite3.Connection) -> None:
    """Migration step: the refusal table (IF NOT EXISTS: its place in the step tuple may move
    when another branch adds a step)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS plex_refusal ("
        " scene_id INTEGER NOT NULL, rating_key INTEGER NOT NULL, field TEXT NOT NULL,"
        " fingerprint TEXT NOT NULL, status INTEGER NOT NULL,"
        " PRIMARY KEY (scene_id, rating_key, field)) WITHOUT ROWID"
    )


def load_refusals(
    conn: sqlite3.Connection, scene_ids: Iterable[int]
) -> dict[int, tuple[StoredRefusal, ...]]:
    """Remembered refusals of the scenes that have any."""
    ids = list(dict.fromkeys(int(s) for s in scene_ids))
    found: dict[int, list[StoredRefusal]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for sid, rk, name, fp, status in conn.execute(
            "SELECT scene_id, rating_key, field, fingerprint, status FROM plex_refusal"
            f" WHERE scene_id IN ({marks}) ORDER BY scene_id, rating_key, field",
            chunk,
        ):
            found.setdefault(int(sid), []).append(StoredRefusal(int(rk), name, fp, int(status)))
    return {sid: tuple(rows) for sid, rows in found.items()}


def replace_refusals(
    conn: sqlite3.Connection, scenes: Mapping[int, Iterable[StoredRefusal]]
) -> None:
    """Each scene's remembered refusals become exactly the given ones (one transaction)."""
    if not scenes:
        return
    with write_txn(conn):
        for sid, rows in scenes.items():
            conn.execute("DELETE FROM plex_refusal WHERE scene_id = ?", (int(sid),))
            conn.executemany(
                "INSERT OR REPLACE INTO plex_refusal VALUES (?, ?, ?, ?, ?)",
                [(int(sid), r.rating_key, r.field, r.fingerprint, r.status) for r in rows],
            )


def forget_refusals(conn: sqlite3.Connection, scene_ids: Iterable[int] | None = None) -> int:
    """Forget the refusals of `scene_ids` (None: of every scene); returns the rows removed."""
    with write_txn(conn):
        if scene_ids is None:
            return conn.execute("DELETE FROM plex_refusal").rowcount
        removed = 0
        for sid in dict.fromkeys(int(s) for s in scene_ids):
            removed += conn.execute("DELETE FROM plex_refusal WHERE scene_id = ?", (sid,)).rowcount
        return removed
