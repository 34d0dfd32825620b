"""After the faults: is every file sound, every scene in step, and was nothing else written?

Three checks the reliability scenarios share: `data_dir_problems` (inbox, queue, failed list,
sync state, index, JSON files), `out_of_step` (the demo's independent field-by-field check)
and `wrong_writes` (Plex items that changed though no matchable scene owns them).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from base.status import SceneStatus, read_status
from demo.check import check_library, matchable_scenes
from plex.index_store import IndexStore
from sandbox.generator import GeneratedLibrary
from sandbox.model import PlexItem, PlexLibrary
from sync_queue.db import integrity_problems
from sync_queue.inbox import Inbox
from sync_queue.queuedb import FailedList
from sync_queue.sync_state import SyncStateStore
from sync_queue.workqueue import WorkQueue

# Statuses that a fault which clears by itself must never leave in the failed list (SPEC
# §2.3: these are blocked or retried, never failed). Failed entries are read through
# `read_status`, so reasons an earlier version stored (class names) count too.
TRANSIENT_STATUSES = frozenset(
    {
        SceneStatus.PLEX_UNREACHABLE,
        SceneStatus.PLEX_ERROR,
        SceneStatus.TOKEN_REJECTED,
        SceneStatus.STASH_UNAVAILABLE,
        SceneStatus.STASH_ERROR,
    }
)


def data_dir_problems(data_dir: Path) -> list[str]:
    """Every integrity problem of the plugin's files (empty when all is sound)."""
    problems: list[str] = []
    for db in sorted(data_dir.glob("*.db")):
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            try:
                problems += [f"{db.name}: {p}" for p in integrity_problems(conn)]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            problems.append(f"{db.name}: cannot open: {exc}")
    for path in sorted(data_dir.glob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path.name}: unreadable: {exc}")
    problems += _store_problems(data_dir)
    return problems


def _store_problems(data_dir: Path) -> list[str]:
    """Open each store as the plugin does and read all of it."""
    problems: list[str] = []
    try:
        with WorkQueue(data_dir) as queue:
            problems += [f"queue: {p}" for p in queue.consistency_problems()]
            queue.items()
        with Inbox(data_dir) as inbox:
            inbox.rows()
        with FailedList(data_dir) as failed:
            failed.list()
        with SyncStateStore(data_dir) as state:
            state.get_many(state.sync_timestamps())
        index = IndexStore(data_dir)
        try:
            sum(1 for _ in index.entries())
        finally:
            index.close()
    except Exception as exc:  # any store that cannot be read is the finding
        problems.append(f"store unreadable: {type(exc).__name__}: {exc}")
    return problems


def out_of_step(
    generated: GeneratedLibrary, plex: PlexLibrary, *, images: bool = True
) -> list[str]:
    """Differences between every matchable scene and its Plex items (demo.check)."""
    with plex.lock:
        return check_library(generated, plex, images=images).problems


def writable_items(generated: GeneratedLibrary) -> set[int]:
    """ratingKeys the plugin may write: targets of scenes with metadata worth pushing."""
    truth = generated.truth
    return {rk for sid in matchable_scenes(generated) for _, rk in truth.scenes[sid].targets}


def item_fingerprint(item: PlexItem) -> str:
    """Everything a write can change on an item, hashed."""
    fields = (
        item.title,
        item.title_sort,
        item.original_title,
        item.summary,
        item.tagline,
        item.studio,
        item.year,
        item.originally_available_at,
        item.content_rating,
        item.user_rating,
        sorted((k, sorted(v)) for k, v in item.tags.items() if v),
        sorted(item.locked),
        item.selected_poster,
        item.selected_art,
        len(item.posters),
        len(item.arts),
    )
    return hashlib.sha1(repr(fields).encode("utf-8")).hexdigest()


def plex_fingerprints(plex: PlexLibrary) -> dict[int, str]:
    with plex.lock:
        return {rk: item_fingerprint(item) for rk, item in plex.items.items()}


def wrong_writes(before: dict[int, str], plex: PlexLibrary, allowed: set[int]) -> list[str]:
    """Items outside `allowed` whose content changed since `before` (or that vanished)."""
    after = plex_fingerprints(plex)
    return [
        f"item {rk} changed though no matchable scene owns it"
        for rk, fingerprint in sorted(before.items())
        if rk not in allowed and after.get(rk, fingerprint) != fingerprint
    ]


def wrongly_failed(data_dir: Path, scene_ids: Iterable[int] | None = None) -> list[str]:
    """Failed-list entries a self-clearing fault caused (transient classes), or of `scene_ids`."""
    watched = set(scene_ids) if scene_ids is not None else None
    with FailedList(data_dir) as failed:
        entries = failed.list()
    return [
        f"scene {e.scene_id} failed: {e.reason_class}"
        for e in entries
        if read_status(e.reason_class) in TRANSIENT_STATUSES
        or (watched is not None and e.scene_id in watched)
    ]


def queued_ids(data_dir: Path) -> set[int]:
    with WorkQueue(data_dir) as queue:
        return {item.scene_id for item in queue.items()}


def failed_ids(data_dir: Path) -> set[int]:
    with FailedList(data_dir) as failed:
        return {e.scene_id for e in failed.list()}
