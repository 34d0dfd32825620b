"""Upgrade in place from Stash2Plex 1.x: take its data over on the first task, SIGKILL-safe.

Sources (reference/earlier-stash2plex.md): its data folder (`$STASH_PLUGIN_DATA`, else the
plugin's `data/`, base.datadir.legacy_data_dirs). Per source, each step commits in one of our
stores and is idempotent, so a re-run after a SIGKILL ends in the same state, never twice:
  1. queued edits (`queue/`, ready and unacked) and failed list (`dlq.db`) → `queue.db`, one
     transaction (sync_queue.legacy.adopt: level-based rows, failures merged by scene);
  2. `sync_timestamps.json` → `sync_state.db`, rows and marker in one transaction;
  3. `reconciliation_state.json` migrated in place (atomic rewrite adding our fields) or, from
     another folder, adopted while ours has no run;
  4. `device_id.json` → our Plex client identifier (atomic file).
Then the source is marked committed in `upgrade_1x.json` (atomic), and only then its files are
renamed `*.migrated` (a rename is atomic; a source marked committed is only renamed again),
and finally the summary is logged and the source marked reported (finished).
Runs under the worker lock, so no worker drains meanwhile; hooks never run it (stdlib-only,
latency-critical): they keep recording into our inbox, which the takeover leaves alone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from base.datadir import ensure_data_dir, legacy_data_dirs
from base.fileio import atomic_write_bytes
from base.legacy import (
    DEVICE_ID_FILE,
    DLQ_FILE,
    LEFT_ALONE,
    QUEUE_DIR,
    RECONCILIATION_FILE,
    RENAMED,
    TIMESTAMPS_FILE,
    has_legacy_data,
    migrated_name,
)
from plex.env import adopt_legacy_device_id
from reconciliation.scheduler import (
    ReconciliationScheduler,
    ReconciliationState,
    with_our_fields,
)
from runtime.voice import line, plural
from stash.log import StashLog
from sync_queue.legacy import (
    LegacyFailure,
    LegacyQueue,
    adopt,
    read_dead_letters,
    read_legacy_queue,
)
from sync_queue.sync_state import SyncStateStore

__all__ = ["MARKER_FILE", "take_over"]

MARKER_FILE = "upgrade_1x.json"
Checkpoint = Callable[[str], None]  # called between steps (tests SIGKILL the process there)


def _no_checkpoint(step: str) -> None:
    return None


def take_over(
    plugin_dir: Path,
    data_dir: Path,
    log: StashLog,
    *,
    clock: Callable[[], float] = time.time,
    checkpoint: Checkpoint = _no_checkpoint,
) -> dict[str, object] | None:
    """Take over every 1.x data folder found; returns what was carried over, or None when
    there was nothing (the usual case: a few `stat` calls)."""
    sources = [f for f in legacy_data_dirs(plugin_dir, data_dir) if has_legacy_data(f)]
    if not sources and not _unreported(data_dir):
        return None
    from sync_queue.lock import worker_lock

    lock = worker_lock(ensure_data_dir(data_dir))
    if not lock.acquire():  # a worker runs: the next task takes over (nothing is lost)
        log.debug("upgrade takeover postponed: a worker holds the lock")
        return None
    try:
        return _take_over(sources, data_dir, log, clock, checkpoint)
    finally:
        lock.release()


def _take_over(
    sources: list[Path],
    data_dir: Path,
    log: StashLog,
    clock: Callable[[], float],
    checkpoint: Checkpoint,
) -> dict[str, object]:
    marker = _read_marker(data_dir)
    for source in sources:
        key = str(source)
        entry = marker.get(key)
        # Committed but not yet renamed and reported: only the renames are left. Reported
        # means finished, so 1.x files found there again (moved in later) are new: taken too.
        if not isinstance(entry, dict) or entry.get("reported"):
            counts = _commit(source, data_dir, log, clock(), checkpoint)
            marker[key] = {"committed_at": clock(), "carried": counts, "reported": False}
            _write_marker(data_dir, marker)
            checkpoint("marked")
        _rename(source, not _same(source, data_dir), checkpoint)
    # Reported only once the files are renamed, also when a SIGKILL came after the last
    # rename: the next task finds no source left, but the marker says what is unreported.
    for key, entry in marker.items():
        if isinstance(entry, dict) and not entry.get("reported"):
            log.info(line(_summary(entry.get("carried"), Path(key))))
            entry["reported"] = True
            _write_marker(data_dir, marker)
    return marker


def _unreported(data_dir: Path) -> bool:
    if not (data_dir / MARKER_FILE).is_file():  # the usual case: one stat
        return False
    marker = _read_marker(data_dir)
    return any(isinstance(e, dict) and not e.get("reported") for e in marker.values())


def _commit(
    source: Path, data_dir: Path, log: StashLog, now: float, checkpoint: Checkpoint
) -> dict[str, int]:
    counts: dict[str, int] = {}
    queue = LegacyQueue(())
    if (source / QUEUE_DIR).is_dir():
        try:
            queue = read_legacy_queue(source / QUEUE_DIR)
        except (sqlite3.Error, OSError) as exc:
            log.warning(line(_unreadable("queued edits", QUEUE_DIR, exc)))
    failures: list[LegacyFailure] = []
    if (source / DLQ_FILE).is_file():
        try:
            failures = read_dead_letters(source / DLQ_FILE)
        except sqlite3.Error as exc:
            log.warning(line(_unreadable("failed list", DLQ_FILE, exc)))
    if queue.unreadable:
        log.warning(
            line(
                f"{plural(queue.unreadable, 'queued edit')} of Stash2Plex 1.x could not be read;"
                " run Sync Recent Scenes so those scenes are pushed again"
            )
        )
    adopt(data_dir, queue.scene_ids, failures, now)
    counts["queued"], counts["failed"] = len(queue.scene_ids), len(failures)
    checkpoint("queue")

    if (source / TIMESTAMPS_FILE).is_file():
        with SyncStateStore(data_dir) as store:
            outcome = store.take_over_legacy_timestamps(source / TIMESTAMPS_FILE) or ""
        counts["sync_times"] = _migrated_count(outcome)
    checkpoint("timestamps")

    ours = ReconciliationScheduler(data_dir, warn=log.warning)
    if _same(source, data_dir):
        state = ours.upgrade_state()
    else:
        state = _adopt_reconciliation(ReconciliationScheduler(source, warn=log.warning), ours)
    if state is not None:
        counts["reconciliation_runs"] = state.run_count
    checkpoint("reconciliation")

    if (source / DEVICE_ID_FILE).is_file():
        counts["device_id"] = int(
            adopt_legacy_device_id(data_dir, source / DEVICE_ID_FILE) is not None
        )
    checkpoint("device_id")
    return counts


def _adopt_reconciliation(
    theirs: ReconciliationScheduler, ours: ReconciliationScheduler
) -> ReconciliationState | None:
    """1.x's history from another folder, while ours has none (then ours is kept)."""
    if not os.path.exists(theirs.state_path):
        return None
    state = with_our_fields(theirs.load_state())
    if ours.load_state().run_count == 0:
        ours.save_state(state)
        return state
    return None


def _migrated_count(outcome: str | None) -> int:
    """N of the sync state's "migrated N, skipped M" outcome (0 for "corrupt" or none)."""
    words = (outcome or "").replace(",", " ").split()
    return int(words[1]) if len(words) > 1 and words[0] == "migrated" else 0


def _same(a: Path, b: Path) -> bool:
    return Path(a).absolute() == Path(b).absolute()


def _unreadable(what: str, name: str, exc: Exception) -> str:
    return (
        f"The {what} of Stash2Plex 1.x ({name}) could not be read ({exc}); it is kept as"
        f" {migrated_name(name)}. Run Sync Recent Scenes so those scenes are pushed again"
    )


def _rename(source: Path, foreign: bool, checkpoint: Checkpoint) -> None:
    names = (*RENAMED, RECONCILIATION_FILE) if foreign else RENAMED
    for name in names:
        path = source / name
        if not os.path.lexists(path):
            continue
        target = source / migrated_name(name)
        number = 1
        while os.path.lexists(target):  # an earlier upgrade's leftovers stay as they are
            number += 1
            target = source / f"{migrated_name(name)}.{number}"
        os.rename(path, target)
        checkpoint(f"renamed {name}")


def _summary(carried: object, source: Path) -> str:
    counts = carried if isinstance(carried, dict) else {}
    parts = [
        plural(int(counts.get("queued", 0)), "queued scene"),
        f"{int(counts.get('failed', 0))} failed",
        plural(int(counts.get("sync_times", 0)), "sync time"),
    ]
    if "reconciliation_runs" in counts:
        parts.append(
            f"reconciliation history ({plural(int(counts['reconciliation_runs']), 'run')})"
        )
    if counts.get("device_id"):
        parts.append("its Plex device")
    leftovers = ", ".join(n for n in LEFT_ALONE if (source / n).exists())
    tail = f"; {leftovers} can be deleted" if leftovers else ""
    return (
        f"Took over Stash2Plex 1.x's data in {source}: {', '.join(parts)}. Its old files"
        f" were renamed *.migrated{tail}"
    )


def _read_marker(data_dir: Path) -> dict[str, object]:
    try:
        document = json.loads((data_dir / MARKER_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _write_marker(data_dir: Path, marker: dict[str, object]) -> None:
    payload = json.dumps(marker, indent=2, sort_keys=True).encode("utf-8")
    atomic_write_bytes(data_dir / MARKER_FILE, payload)
