"""Per-scene sync state in `sync_state.db`: what was last pushed to Plex for each scene.

Per scene: the Stash `updated_at` that was synced (string and epoch), the Plex items written
(section id, ratingKey), a fingerprint per pushed field and image, the entity ids pushed
(performer/studio/tag/group, indexed so an entity rename or destroy finds its scenes), the
fingerprint of the whole desired state pushed (`validation.drift`: what reconciliation's drift
detection compares), the post-write baseline per item (what Plex held right after our last
write: `plex.baseline`), and the wall-clock time of the sync. `load_sync_timestamps` and
`load_pushed_fingerprints` stay one cheap SELECT each for reconciliation. Stash2Plex 1.x's
`sync_timestamps.json` is taken over once by `take_over_legacy_timestamps` (called by the
upgrade takeover, tasks/takeover.py; read by `read_legacy_timestamps`, at the end), with a
marker in the same transaction; the old file is never modified here. Also the notes of
scenes Plex did not have (`ignore_not_in_plex`), until they are pushed.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from base.timestamps import parse_rfc3339
from sync_queue.collection_state import CollectionStore, schema_collections
from sync_queue.db import JOURNAL_AUTO, open_database, write_txn
from sync_queue.plex_activity import PlexActivityStore
from sync_queue.plex_activity import create_tables as create_activity_tables
from sync_queue.refusals import (
    StoredRefusal,
    forget_refusals,
    load_refusals,
    replace_refusals,
    schema_refusals,
)

__all__ = [
    "LEGACY_FILE",
    "SYNC_STATE_FILE",
    "SceneSyncState",
    "SyncStateStore",
    "load_pushed_fingerprints",
    "load_sync_timestamps",
]

SYNC_STATE_FILE = "sync_state.db"
LEGACY_FILE = "sync_timestamps.json"
_MIGRATED_KEY = "legacy_sync_timestamps"
_CHUNK = 500  # ids per IN (...) query: old SQLite builds allow 999 variables
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SceneSyncState:
    """What was pushed for one scene. `updated_at_epoch` is derived from `updated_at` when None."""

    scene_id: int
    updated_at: str | None
    updated_at_epoch: float | None
    targets: tuple[tuple[int, int], ...] = ()  # (section id, ratingKey) of each Plex item
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # field or image → hash
    entities: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # kind → sorted ids
    last_synced_at: float = 0.0
    # validation.drift.pushed_fingerprint of the desired state pushed (None: not recorded)
    desired_fingerprint: str | None = None
    # ratingKey -> post-write baseline of that item (plex.baseline; empty: none recorded)
    baselines: Mapping[int, Mapping[str, str]] = field(default_factory=dict)


def _schema_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE scene_state ("
        " scene_id INTEGER PRIMARY KEY,"
        " updated_at TEXT,"
        " updated_at_epoch REAL,"
        " targets TEXT NOT NULL,"
        " fingerprints TEXT NOT NULL,"
        " last_synced_at REAL NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE scene_entity ("
        " kind TEXT NOT NULL, entity_id INTEGER NOT NULL, scene_id INTEGER NOT NULL,"
        " PRIMARY KEY (kind, entity_id, scene_id)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX scene_entity_scene ON scene_entity (scene_id)")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")


def _schema_v2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE scene_state ADD COLUMN desired_fp TEXT")


def _schema_v3(conn: sqlite3.Connection) -> None:
    # Scenes Plex did not have, noted only with the ignore_not_in_plex setting: their files
    # as Plex would name them, so a later index refresh can tell when Plex gained one.
    conn.execute(
        "CREATE TABLE not_in_plex ("
        " scene_id INTEGER PRIMARY KEY, plex_paths TEXT NOT NULL, noted_at REAL NOT NULL)"
    )


def _schema_baselines(conn: sqlite3.Connection) -> None:
    # Issue 15 (converge): what Plex held right after our last write, per item, as JSON
    # {ratingKey: {field: fingerprint, "@locks": ..., "@updatedAt": ...}}. Its own migration
    # function so other migrations added alongside merge as separate steps.
    conn.execute("ALTER TABLE scene_state ADD COLUMN baselines TEXT")


def _schema_plex_activity(conn: sqlite3.Connection) -> None:
    # Issue 18: views read from Plex's history and the pull's marks (sync_queue.plex_activity).
    create_activity_tables(conn)


def _schema_collections(conn: sqlite3.Connection) -> None:
    # Issue 19: the collections we own and what we wrote (sync_queue/collection_state.py).
    schema_collections(conn)


# v4: the refusal memory (issue 15), its own step in sync_queue/refusals.py; v5: the
# post-write baselines; v6: the Plex activity tables (issue 18); v7: the collections
# (issue 19).
_MIGRATIONS = (
    _schema_v1,
    _schema_v2,
    _schema_v3,
    schema_refusals,
    _schema_baselines,
    _schema_plex_activity,
    _schema_collections,
)


class SyncStateStore:
    """The sync state file of a data folder; `clock` stamps migrated rows' bookkeeping."""

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
        path = os.path.join(self.data_dir, SYNC_STATE_FILE)
        self._conn = open_database(
            path, _MIGRATIONS, busy_timeout=busy_timeout, journal=journal, vfs=vfs
        )

    def close(self) -> None:
        self._conn.close()

    @property
    def collections(self) -> CollectionStore:
        """The collections we decided about (issue 19), in this same file."""
        return CollectionStore(self._conn)

    def __enter__(self) -> SyncStateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- reads ------------------------------------------------------------------------------

    def get(self, scene_id: int) -> SceneSyncState | None:
        return self.get_many([scene_id]).get(int(scene_id))

    def get_many(self, scene_ids: Iterable[int]) -> dict[int, SceneSyncState]:
        """States of the ids that have one (missing ids are simply absent)."""
        ids = list(dict.fromkeys(int(s) for s in scene_ids))
        rows: dict[int, tuple[object, ...]] = {}
        entities: dict[int, dict[str, list[int]]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._conn.execute(
                "SELECT scene_id, updated_at, updated_at_epoch, targets, fingerprints,"
                " last_synced_at, desired_fp, baselines"
                f" FROM scene_state WHERE scene_id IN ({marks})",
                chunk,
            ):
                rows[row[0]] = row
            for sid, kind, entity_id in self._conn.execute(
                f"SELECT scene_id, kind, entity_id FROM scene_entity WHERE scene_id IN ({marks})",
                chunk,
            ):
                entities.setdefault(sid, {}).setdefault(kind, []).append(entity_id)
        return {sid: _decode(row, entities.get(sid, {})) for sid, row in rows.items()}

    def scenes_with_entity(self, kind: str, entity_id: int) -> list[int]:
        """Scenes whose last push included that performer/studio/tag/group (indexed)."""
        rows = self._conn.execute(
            "SELECT scene_id FROM scene_entity WHERE kind = ? AND entity_id = ? ORDER BY scene_id",
            (kind, int(entity_id)),
        )
        return [int(row[0]) for row in rows.fetchall()]

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM scene_state").fetchone()[0])

    def sync_timestamps(self) -> dict[int, float]:
        """Scene id → epoch of the Stash updated_at last synced (one SELECT)."""
        rows = self._conn.execute(
            "SELECT scene_id, updated_at_epoch FROM scene_state WHERE updated_at_epoch IS NOT NULL"
        )
        return dict(rows.fetchall())

    def pushed_fingerprints(self) -> dict[int, str]:
        """Scene id → fingerprint of the desired state last pushed (one SELECT); scenes
        synced before it was recorded are absent."""
        rows = self._conn.execute(
            "SELECT scene_id, desired_fp FROM scene_state WHERE desired_fp IS NOT NULL"
        )
        return dict(rows.fetchall())

    def not_in_plex(self) -> dict[int, list[str]]:
        """Scenes noted as not in Plex → their files as Plex would name them (one SELECT)."""
        noted: dict[int, list[str]] = {}
        for sid, text in self._conn.execute("SELECT scene_id, plex_paths FROM not_in_plex"):
            try:
                paths = json.loads(text)
            except ValueError:
                paths = []
            noted[int(sid)] = [p for p in paths if isinstance(p, str)]
        return noted

    # --- writes -----------------------------------------------------------------------------

    def note_not_in_plex(self, scenes: Mapping[int, Iterable[str]]) -> int:
        """Note scenes Plex does not have (scene id → files as Plex would name them), in one
        transaction; a push (`put_many`) or `forget_many` removes the note."""
        rows = [(int(sid), json.dumps(list(paths)), self._clock()) for sid, paths in scenes.items()]
        if not rows:
            return 0
        with write_txn(self._conn):
            self._conn.executemany(
                "INSERT OR REPLACE INTO not_in_plex (scene_id, plex_paths, noted_at)"
                " VALUES (?, ?, ?)",
                rows,
            )
        return len(rows)

    def put(self, state: SceneSyncState) -> None:
        self.put_many([state])

    def put_many(self, states: Iterable[SceneSyncState]) -> int:
        """Replace the states of a batch in one transaction; returns how many were written."""
        batch = {s.scene_id: s for s in states}
        if not batch:
            return 0
        rows = [_encode(state) for state in batch.values()]
        links = [
            (kind, int(entity_id), state.scene_id)
            for state in batch.values()
            for kind, ids in state.entities.items()
            for entity_id in set(ids)
        ]
        with write_txn(self._conn):
            self._conn.executemany(
                "INSERT OR REPLACE INTO scene_state (scene_id, updated_at, updated_at_epoch,"
                " targets, fingerprints, last_synced_at, desired_fp, baselines)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._conn.executemany(
                "DELETE FROM scene_entity WHERE scene_id = ?", [(sid,) for sid in batch]
            )
            self._conn.executemany(
                "INSERT INTO scene_entity (kind, entity_id, scene_id) VALUES (?, ?, ?)", links
            )
            self._conn.executemany(  # pushed: Plex has it now
                "DELETE FROM not_in_plex WHERE scene_id = ?", [(sid,) for sid in batch]
            )
        return len(batch)

    def forget(self, scene_id: int) -> bool:
        return self.forget_many([scene_id]) == 1

    def forget_many(self, scene_ids: Iterable[int]) -> int:
        """Drop the states of (destroyed) scenes; returns how many existed."""
        keys = [(int(s),) for s in dict.fromkeys(scene_ids)]
        if not keys:
            return 0
        with write_txn(self._conn):
            cur = self._conn.executemany("DELETE FROM scene_state WHERE scene_id = ?", keys)
            self._conn.executemany("DELETE FROM scene_entity WHERE scene_id = ?", keys)
            self._conn.executemany("DELETE FROM not_in_plex WHERE scene_id = ?", keys)
            return max(cur.rowcount, 0)

    def synced_items(self) -> list[tuple[int, int, int]]:
        """(scene id, section id, ratingKey) of every stored target (the activity pull)."""
        found: list[tuple[int, int, int]] = []
        for scene_id, targets in self._conn.execute("SELECT scene_id, targets FROM scene_state"):
            found += [(int(scene_id), int(s), int(k)) for s, k in json.loads(str(targets))]
        return found

    def plex_activity(self) -> PlexActivityStore:
        """The Plex activity tables of this file (issue 18), on this store's connection."""
        return PlexActivityStore(self._conn)

    # --- edits Plex refused (sync_queue.refusals) ---------------------------------------------

    def refusals(self, scene_ids: Iterable[int]) -> dict[int, tuple[StoredRefusal, ...]]:
        return load_refusals(self._conn, scene_ids)

    def replace_refusals(self, scenes: Mapping[int, Iterable[StoredRefusal]]) -> None:
        replace_refusals(self._conn, scenes)

    def forget_refusals(self, scene_ids: Iterable[int] | None = None) -> int:
        return forget_refusals(self._conn, scene_ids)

    # --- the one-time migration -------------------------------------------------------------

    def legacy_migration(self) -> str | None:
        """Outcome of the sync_timestamps.json migration ("migrated N, skipped M",
        "corrupt"), or None when none happened (no old file so far)."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (_MIGRATED_KEY,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def take_over_legacy_timestamps(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """Take over 1.x's `sync_timestamps.json` (default: the one in this data folder) once:
        the rows and the marker commit together, so a re-run after a SIGKILL adds nothing.
        Returns the outcome, or None when there is no file or it cannot be read yet (OSError:
        warned, tried again next time). A scene already synced here keeps its own state.
        """
        path = os.path.join(self.data_dir, LEGACY_FILE) if path is None else os.fspath(path)
        done = self.legacy_migration()
        if done is not None or not os.path.exists(path):
            return done
        try:
            legacy = read_legacy_timestamps(path)
        except OSError as exc:
            _log.warning("Could not read %s (%s); will try again next time", LEGACY_FILE, exc)
            return None
        with write_txn(self._conn):
            if self.legacy_migration() is not None:  # another process migrated meanwhile
                return self.legacy_migration()
            if legacy is None:
                outcome = "corrupt"
            else:
                self._conn.executemany(
                    "INSERT OR IGNORE INTO scene_state (scene_id, updated_at, updated_at_epoch,"
                    " targets, fingerprints, last_synced_at) VALUES (?, NULL, ?, '[]', '{}', ?)",
                    [(sid, epoch, epoch) for sid, epoch in legacy.entries.items()],
                )
                outcome = f"migrated {len(legacy.entries)}, skipped {legacy.skipped}"
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)", (_MIGRATED_KEY, outcome)
            )
        if legacy is None:
            _log.warning(
                "%s of Stash2Plex 1.x is corrupt, so no sync times were carried over;"
                " reconciliation checks those scenes again",
                LEGACY_FILE,
            )
        return outcome


def load_sync_timestamps(data_dir: str | os.PathLike[str]) -> dict[int, float]:
    """Scene id → epoch seconds of the Stash updated_at last synced (one SELECT).

    For scenes migrated from sync_timestamps.json the value is the old file's time, which
    that plugin recorded when it synced (never earlier than the updated_at it pushed).
    """
    with SyncStateStore(data_dir) as store:
        return store.sync_timestamps()


def load_pushed_fingerprints(data_dir: str | os.PathLike[str]) -> dict[int, str]:
    """Scene id → fingerprint of the desired state last pushed (one SELECT)."""
    with SyncStateStore(data_dir) as store:
        return store.pushed_fingerprints()


def _encode(state: SceneSyncState) -> tuple[object, ...]:
    epoch = state.updated_at_epoch
    if epoch is None and state.updated_at is not None:
        epoch = parse_rfc3339(state.updated_at)
    targets = json.dumps([[int(s), int(k)] for s, k in state.targets])
    fingerprints = json.dumps(dict(state.fingerprints), sort_keys=True)
    return (
        state.scene_id,
        state.updated_at,
        epoch,
        targets,
        fingerprints,
        float(state.last_synced_at),
        state.desired_fingerprint,
        _encode_baselines(state.baselines),
    )


def _encode_baselines(baselines: Mapping[int, Mapping[str, str]]) -> str | None:
    if not baselines:
        return None
    return json.dumps({str(int(k)): dict(v) for k, v in baselines.items()}, sort_keys=True)


def _decode_baselines(raw: object) -> dict[int, dict[str, str]]:
    if raw is None:
        return {}
    try:
        data = json.loads(str(raw))
        return {int(k): {str(n): str(f) for n, f in v.items()} for k, v in data.items()}
    except (ValueError, AttributeError, TypeError):
        return {}  # unreadable: no baseline, so the diff compares as before it existed


def _decode(row: tuple[object, ...], entities: dict[str, list[int]]) -> SceneSyncState:
    scene_id, updated_at, epoch, targets, fingerprints, last_synced_at, desired_fp, base = row
    return SceneSyncState(
        scene_id=int(scene_id),  # type: ignore[call-overload]
        updated_at=None if updated_at is None else str(updated_at),
        updated_at_epoch=None if epoch is None else float(epoch),  # type: ignore[arg-type]
        targets=tuple((int(s), int(k)) for s, k in json.loads(str(targets))),
        fingerprints=dict(json.loads(str(fingerprints))),
        entities={kind: tuple(sorted(ids)) for kind, ids in sorted(entities.items())},
        last_synced_at=float(last_synced_at),  # type: ignore[arg-type]
        desired_fingerprint=None if desired_fp is None else str(desired_fp),
        baselines=_decode_baselines(base),
    )


# --- an earlier Stash2Plex's sync_timestamps.json, read for the one-time migration ---------
#
# Pure apart from reading the file; never writes or deletes it. The old format is not
# documented, so this accepts what such a file plausibly holds: a JSON object of scene id
# (string or int) → epoch seconds (number or digit string; milliseconds when implausibly
# large) or an RFC3339/ISO timestamp string. Entries that fit none of these are skipped and
# counted; a file that is not a JSON object is corrupt as a whole.

_MS_THRESHOLD = 1e11  # 5138 AD in seconds, 1973 in milliseconds


@dataclass(frozen=True)
class LegacyTimestamps:
    entries: dict[int, float]  # scene id → epoch seconds
    skipped: int  # entries that were not a scene id with a usable time


def read_legacy_timestamps(path: str | os.PathLike[str]) -> LegacyTimestamps | None:
    """The file's usable entries, or None when the file is corrupt (not a JSON object).

    Raises OSError when the file cannot be read at all (the caller retries later).
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    entries: dict[int, float] = {}
    skipped = 0
    for key, value in document.items():
        scene_id = _scene_id(key)
        epoch = legacy_epoch(value)
        if scene_id is None or epoch is None:
            skipped += 1
            continue
        entries[scene_id] = max(epoch, entries.get(scene_id, epoch))
    return LegacyTimestamps(entries, skipped)


def legacy_epoch(value: object) -> float | None:
    """Epoch seconds of one stored value, None when unusable."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return _positive(float(text)) if text else None
        except ValueError:
            return parse_rfc3339(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _positive(float(value))


def _positive(number: float) -> float | None:
    if not math.isfinite(number) or number <= 0:
        return None
    return number / 1000.0 if number > _MS_THRESHOLD else number


def _scene_id(key: str) -> int | None:
    text = key.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value > 0 else None
