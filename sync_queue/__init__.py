"""Persistent storage of Stash2Plex: hook inbox, worker queue, failed list, per-scene sync state.

Files in the data folder: `inbox.db` (hooks write, worker drains), `queue.db` (work queue,
failed list, persist-queue's hand-out channel), `sync_state.db` (what was pushed to Plex),
`worker.lock` (one worker at a time). See docs/queue.md. Modules are imported individually.

The two functions of SPEC §6 are importable from the package itself. They load on first
access because every hook imports `sync_queue.inbox`, and this file runs first: importing
the sync state here would cost each hook the `dataclasses` import (≈13 ms, benchmarks.md).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sync_queue.queuedb import get_queued_scene_ids
    from sync_queue.sync_state import load_sync_timestamps

__all__ = ["get_queued_scene_ids", "load_sync_timestamps"]


def __getattr__(name: str) -> object:
    if name == "get_queued_scene_ids":
        from sync_queue.queuedb import get_queued_scene_ids

        return get_queued_scene_ids
    if name == "load_sync_timestamps":
        from sync_queue.sync_state import load_sync_timestamps

        return load_sync_timestamps
    raise AttributeError(f"module 'sync_queue' has no attribute {name!r}")
