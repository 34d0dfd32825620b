"""SQLite storage of the Plex path index (`plex_index.db` in the data folder).

Tables: `meta` (schema version, platform), `sections` (configured sections, their path style,
incremental watermark and last full listing), `items` (one row per Plex item: timestamps and
the "has metadata" signals of plex.md §7) and `parts` (one row per Media/Part file with its
normalised path and basename keys; `optimized` marks the parts of Plex's own optimized
versions, which are never matched but let matching name a Stash scene of such a file).
Writes happen in explicit transactions, so a crash leaves the previous index; the file is a
cache: a damaged one is recreated.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plex.items import ListedItem, SectionInfo
from plex.matching import IndexEntry
from plex.paths import PathStyle, basename_of, is_windows_path, normalize

__all__ = ["INDEX_FILE", "IndexStore", "ItemSignals", "StoredSection", "basename_key", "path_key"]

INDEX_FILE = "plex_index.db"
SCHEMA_VERSION = "3"  # 2: summary_fp, user_rating; 3: parts.optimized (others are rebuilt)
_SEP = "\x1f"  # joins the (truncated) tag names of one item; never part of a Plex tag

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sections(
    section_id INTEGER PRIMARY KEY, info TEXT NOT NULL, windows INTEGER NOT NULL,
    fold_case INTEGER NOT NULL, watermark INTEGER NOT NULL DEFAULT 0,
    last_full REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS items(
    rating_key INTEGER PRIMARY KEY, section_id INTEGER NOT NULL, added_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, title TEXT, studio TEXT, summary_head TEXT, date TEXT,
    year INTEGER, content_rating TEXT, genres TEXT, actors TEXT, collections TEXT,
    summary_fp TEXT, user_rating REAL);
CREATE TABLE IF NOT EXISTS parts(
    norm_key TEXT NOT NULL, basename_key TEXT NOT NULL, file TEXT NOT NULL, size INTEGER,
    rating_key INTEGER NOT NULL, section_id INTEGER NOT NULL,
    optimized INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS parts_norm ON parts(norm_key);
CREATE INDEX IF NOT EXISTS parts_basename ON parts(basename_key);
CREATE INDEX IF NOT EXISTS parts_item ON parts(rating_key);
CREATE INDEX IF NOT EXISTS items_section ON items(section_id, updated_at);
"""

_log = logging.getLogger(__name__)


def path_key(path: str, style: PathStyle) -> str:
    """Comparison key of a Plex-form path under a section's style (plex.paths rules)."""
    return normalize(path, style.windows, fold_case=style.fold_case)


def basename_key(path: str, style: PathStyle) -> str:
    """Comparison key of a path's basename, as `plex.matching.PathIndexView.name_key` forms it."""
    windows = style.windows or is_windows_path(path)
    return normalize(basename_of(path, windows), False, fold_case=style.fold_case)


@dataclass(frozen=True)
class StoredSection:
    """A configured section as last listed, with its incremental-refresh bookkeeping."""

    info: SectionInfo
    style: PathStyle
    watermark: int  # highest updatedAt seen (Plex's clock, never ours)
    last_full: float  # our clock, epoch seconds of the last full listing


@dataclass(frozen=True)
class ItemSignals:
    """What a listing says about an item's metadata (tags truncated: presence only)."""

    rating_key: int
    section_id: int
    added_at: int
    updated_at: int
    title: str | None
    studio: str | None
    summary_head: str | None
    originally_available_at: str | None
    year: int | None
    content_rating: str | None
    genres: tuple[str, ...]
    actors: tuple[str, ...]
    collections: tuple[str, ...]
    summary_fp: str | None = None
    user_rating: float | None = None

    def field_fingerprints(self) -> dict[str, str]:
        """Fingerprints of the scalar fields the listing shows in full, computed as
        `plex.diff` computes Plex's side (for Plex-side drift). Tags are left out: the
        listing truncates them."""
        from plex.diff import normalize_plex_value
        from validation.fingerprint import fingerprint_value

        raw: dict[str, object] = {
            "title": self.title,
            "originallyAvailableAt": self.originally_available_at,
            "year": self.year,
            "userRating": self.user_rating,
            "studio": self.studio,
            "contentRating": self.content_rating,
        }
        out = {name: fingerprint_value(normalize_plex_value(name, v)) for name, v in raw.items()}
        if self.summary_fp is not None:
            out["summary"] = self.summary_fp
        return out

    def plex_metadata(self) -> dict[str, object]:
        """The dict `GapDetector.detect_empty_metadata` reads (SPEC §3); a year alone is not
        a date (scanners read it from file names, plex.md §7)."""
        return {
            "studio": self.studio,
            "performers": list(self.actors),
            "tags": list(self.genres),
            "details": self.summary_head,
            "date": self.originally_available_at,
        }


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(raw.split(_SEP)) if raw else ()


def _section_json(info: SectionInfo) -> str:
    data = dict(info.__dict__)
    data["locations"] = list(info.locations)
    return json.dumps(data, ensure_ascii=False)


def _section_from_json(raw: str) -> SectionInfo:
    data = json.loads(raw)
    data["locations"] = tuple(data.get("locations") or ())
    return SectionInfo(**data)


class IndexStore:
    """The SQLite file behind `PathIndex` (one connection, autocommit outside transactions)."""

    def __init__(self, data_dir: str | Path) -> None:
        folder = Path(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / INDEX_FILE
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            # A cache: rebuilding it costs a few listing requests, refusing to run costs more.
            _log.warning("Plex path index was unreadable (%s); rebuilding it", exc)
            self.path.unlink(missing_ok=True)
            self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:
                # A cache: another layout is rebuilt (one full listing) rather than migrated.
                conn.executescript(
                    "DROP TABLE IF EXISTS parts; DROP TABLE IF EXISTS items;"
                    " DROP TABLE IF EXISTS sections;" + _SCHEMA
                )
                conn.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: everything in it lands together or not at all."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- meta and sections --------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    def sections(self) -> dict[int, StoredSection]:
        rows = self._conn.execute(
            "SELECT info, windows, fold_case, watermark, last_full FROM sections "
            "ORDER BY section_id"
        ).fetchall()
        out: dict[int, StoredSection] = {}
        for info, windows, fold_case, watermark, last_full in rows:
            section = _section_from_json(info)
            style = PathStyle(windows=bool(windows), fold_case=bool(fold_case))
            out[section.id] = StoredSection(section, style, int(watermark), float(last_full))
        return out

    def save_section(
        self, info: SectionInfo, style: PathStyle, watermark: int, last_full: float
    ) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO sections VALUES(?, ?, ?, ?, ?, ?)",
            (info.id, _section_json(info), int(style.windows), int(style.fold_case), watermark,
             last_full),
        )  # fmt: skip

    def forget_section(self, section_id: int) -> None:
        self.clear_section(section_id)
        self._conn.execute("DELETE FROM sections WHERE section_id=?", (section_id,))

    def clear_section(self, section_id: int) -> None:
        self._conn.execute("DELETE FROM parts WHERE section_id=?", (section_id,))
        self._conn.execute("DELETE FROM items WHERE section_id=?", (section_id,))

    # -- items --------------------------------------------------------------------------------

    def put_items(
        self, section_id: int, items: list[ListedItem], style: PathStyle, *, fresh: bool
    ) -> None:
        """Insert or replace items and all their parts. `fresh`: the section was just cleared,
        so there are no old parts to delete first."""
        if not items:
            return
        if not fresh:
            keys = [(item.rating_key,) for item in items]
            self._conn.executemany("DELETE FROM parts WHERE rating_key=?", keys)
        self._conn.executemany(
            "INSERT OR REPLACE INTO items VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    item.rating_key,
                    section_id,
                    item.added_at,
                    item.updated_at,
                    item.title or None,
                    item.studio,
                    item.summary_head,
                    item.originally_available_at,
                    item.year,
                    item.content_rating,
                    _SEP.join(item.genres) or None,
                    _SEP.join(item.actors) or None,
                    _SEP.join(item.collections) or None,
                    item.summary_fp,
                    item.user_rating,
                )
                for item in items
            ],
        )
        self._conn.executemany(
            "INSERT INTO parts VALUES(?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    path_key(part.file, style),
                    basename_key(part.file, style),
                    part.file,
                    part.size,
                    item.rating_key,
                    section_id,
                    int(optimized),
                )
                for item in items
                for optimized, parts in ((False, item.files), (True, item.optimized))
                for part in parts
            ],
        )

    def drop(self, rating_key: int) -> bool:
        """Forget one item (its key answered 404); True when it was indexed."""
        self._conn.execute("DELETE FROM parts WHERE rating_key=?", (rating_key,))
        cursor = self._conn.execute("DELETE FROM items WHERE rating_key=?", (rating_key,))
        return cursor.rowcount > 0

    def count(self, section_id: int | None = None) -> int:
        if section_id is None:
            row = self._conn.execute("SELECT COUNT(*) FROM items").fetchone()
        else:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM items WHERE section_id=?", (section_id,)
            ).fetchone()
        return int(row[0])

    def max_updated(self, section_id: int) -> int:
        row = self._conn.execute(
            "SELECT MAX(updated_at) FROM items WHERE section_id=?", (section_id,)
        ).fetchone()
        return int(row[0] or 0)

    # -- lookups ------------------------------------------------------------------------------

    def _entries(self, sql: str, args: tuple[object, ...]) -> list[IndexEntry]:
        return [
            IndexEntry(section_id=s, rating_key=rk, file=f, size=size)
            for s, rk, f, size in self._conn.execute(sql, args)
        ]

    # Original parts only: Plex's optimized versions never match (docs/plex-side.md).
    def by_key(self, norm_key: str) -> list[IndexEntry]:
        return self._entries(
            "SELECT section_id, rating_key, file, size FROM parts WHERE norm_key=? "
            "AND optimized=0 ORDER BY section_id, rating_key",
            (norm_key,),
        )

    def by_basename(self, key: str) -> list[IndexEntry]:
        return self._entries(
            "SELECT section_id, rating_key, file, size FROM parts WHERE basename_key=? "
            "AND optimized=0 ORDER BY section_id, rating_key",
            (key,),
        )

    def by_item(self, rating_key: int) -> list[IndexEntry]:
        return self._entries(
            "SELECT section_id, rating_key, file, size FROM parts WHERE rating_key=? "
            "AND optimized=0",
            (rating_key,),
        )

    def entries(self) -> Iterator[IndexEntry]:
        cursor = self._conn.execute(
            "SELECT section_id, rating_key, file, size FROM parts WHERE optimized=0 "
            "ORDER BY section_id, rating_key"
        )
        for s, rk, f, size in cursor:
            yield IndexEntry(section_id=s, rating_key=rk, file=f, size=size)

    _OPTIMIZED = (
        "SELECT p.section_id, p.rating_key, p.file, p.size, COALESCE(i.title, '') FROM parts p "
        "LEFT JOIN items i ON i.rating_key=p.rating_key WHERE p.optimized=1"
    )

    def optimized_by_key(self, norm_key: str) -> list[IndexEntry]:
        """Parts of Plex's optimized versions at this path, `copy_of` naming their item."""
        return [
            IndexEntry(section_id=s, rating_key=rk, file=f, size=size, copy_of=title)
            for s, rk, f, size, title in self._conn.execute(
                self._OPTIMIZED + " AND p.norm_key=? ORDER BY p.section_id, p.rating_key",
                (norm_key,),
            )
        ]

    def optimized_entries(self) -> Iterator[IndexEntry]:
        for s, rk, f, size, title in self._conn.execute(self._OPTIMIZED):
            yield IndexEntry(section_id=s, rating_key=rk, file=f, size=size, copy_of=title)

    def signals(self, rating_keys: Iterable[int]) -> dict[int, ItemSignals]:
        keys = list(dict.fromkeys(int(k) for k in rating_keys))
        out: dict[int, ItemSignals] = {}
        for start in range(0, len(keys), 500):  # below SQLite's bound-parameter limit
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._conn.execute(
                f"SELECT * FROM items WHERE rating_key IN ({marks})",
                chunk,
            ):
                out[int(row[0])] = ItemSignals(
                    rating_key=int(row[0]),
                    section_id=int(row[1]),
                    added_at=int(row[2]),
                    updated_at=int(row[3]),
                    title=row[4],
                    studio=row[5],
                    summary_head=row[6],
                    originally_available_at=row[7],
                    year=row[8],
                    content_rating=row[9],
                    genres=_split(row[10]),
                    actors=_split(row[11]),
                    collections=_split(row[12]),
                    summary_fp=row[13],
                    user_rating=row[14],
                )
        return out
