"""Seeds a plugin data folder with what an earlier sync left, for a generated library.

The generator's truth says which scenes a previous sync recorded and with which Stash
`updated_at` (`truth.sync_timestamps`: synced, stale and wiped scenes); writing that into
`sync_state.db` gives reconciliation a library with gaps of every kind (stale syncs, wiped
items, never-synced empty items, files Plex does not have). Used by the demo, the
benchmarks and the reconciliation tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sandbox.generator import GeneratedLibrary
from sync_queue.sync_state import SceneSyncState, SyncStateStore

__all__ = ["seed_sync_state"]


def seed_sync_state(
    generated: GeneratedLibrary,
    data_dir: Path | str,
    overrides: Mapping[int, float] | None = None,
) -> dict[int, float]:
    """Store the truth's sync timestamps (plus `overrides`) as the scenes' sync state.

    Only the synced `updated_at` is recorded (no Plex targets, no fingerprints): what the
    reconciliation detector reads, and what an earlier plugin version's
    `sync_timestamps.json` migrates to. Returns the timestamps written.
    """
    stamps = dict(generated.truth.sync_timestamps)
    stamps.update(overrides or {})
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with SyncStateStore(data_dir) as store:
        store.put_many(SceneSyncState(sid, None, ts) for sid, ts in stamps.items())
    return stamps
