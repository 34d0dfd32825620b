"""The collections Stash2Plex decided about (issue 19), in `sync_state.db`: per Plex section and
collection name, its ratingKey, whether we own it, the Stash entity it shows, and what we wrote.

A collection is ours when it first appeared after our tag push; one that existed before is
recorded as not ours, so it is never listed again for that name. `state` is JSON: the
fingerprints of what we wrote, the post-write baseline, the group's members and the locks we
set. The table is created by `schema_collections`, one migration step of
`sync_queue.sync_state` kept here so it merges apart from the other steps.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sync_queue.db import write_txn

__all__ = ["CollectionRow", "CollectionStore", "schema_collections"]

_CHUNK = 400


def schema_collections(conn: sqlite3.Connection) -> None:
    """Migration step (IF NOT EXISTS: its place in the step tuple may move on a merge)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS plex_collection ("
        " section_id INTEGER NOT NULL, name_key TEXT NOT NULL, rating_key INTEGER NOT NULL,"
        " owned INTEGER NOT NULL, kind TEXT NOT NULL, entity_id INTEGER NOT NULL,"
        " title TEXT NOT NULL, state TEXT NOT NULL,"
        " PRIMARY KEY (section_id, name_key)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS plex_collection_entity ON plex_collection (kind, entity_id)"
    )


@dataclass
class CollectionRow:
    """One collection we decided about. `owned` False: it existed before our tag push (made
    by hand, or a name collision): never described by us."""

    section_id: int
    name_key: str
    rating_key: int
    owned: bool
    kind: str = ""
    entity_id: int = 0
    title: str = ""
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, str]:
        return (self.section_id, self.name_key)


_COLUMNS = "section_id, name_key, rating_key, owned, kind, entity_id, title, state"


def _row(values: tuple[Any, ...]) -> CollectionRow:
    sid, key, rk, owned, kind, eid, title, state = values
    try:
        parsed = json.loads(state) if state else {}
    except ValueError:
        parsed = {}
    return CollectionRow(
        int(sid),
        key,
        int(rk),
        bool(owned),
        kind,
        int(eid),
        title,
        parsed if isinstance(parsed, dict) else {},
    )


class CollectionStore:
    """Reads and writes `plex_collection` on an open `sync_state.db` connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _select(self, where: str, params: list[Any]) -> list[CollectionRow]:
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM plex_collection WHERE {where}", params)
        return [_row(r) for r in rows.fetchall()]

    def by_names(self, name_keys: Iterable[str]) -> list[CollectionRow]:
        """Rows of these names in every section."""
        names = list(dict.fromkeys(name_keys))
        found: list[CollectionRow] = []
        for start in range(0, len(names), _CHUNK):
            chunk = names[start : start + _CHUNK]
            found += self._select(f"name_key IN ({','.join('?' * len(chunk))})", chunk)
        return found

    def by_entities(self, entities: Iterable[tuple[str, int]]) -> list[CollectionRow]:
        """Owned rows showing these (kind, id) entities."""
        found: list[CollectionRow] = []
        for kind, entity_id in dict.fromkeys(entities):
            found += self._select(
                "kind = ? AND entity_id = ? AND owned = 1", [kind, int(entity_id)]
            )
        return found

    def owned(self) -> list[CollectionRow]:
        return self._select("owned = 1", [])

    def put_many(self, rows: Iterable[CollectionRow]) -> None:
        """Store rows (one transaction); a row's ratingKey replaces any older name of it (a
        renamed collection keeps one row)."""
        rows = list(rows)
        if not rows:
            return
        with write_txn(self._conn):
            for row in rows:
                self._conn.execute(
                    "DELETE FROM plex_collection WHERE section_id = ? AND rating_key = ?",
                    (row.section_id, row.rating_key),
                )
                self._conn.execute(
                    f"INSERT OR REPLACE INTO plex_collection ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        row.section_id,
                        row.name_key,
                        row.rating_key,
                        int(row.owned),
                        row.kind,
                        row.entity_id,
                        row.title,
                        json.dumps(row.state, sort_keys=True, separators=(",", ":")),
                    ),
                )
