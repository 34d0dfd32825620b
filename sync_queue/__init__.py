"""Persistent storage of Stash2Plex: hook inbox, worker queue, failed list, per-scene sync state.

Importing the package imports nothing else: hooks import `sync_queue.inbox` (standard
library only) and must not pay for persist-queue. Names below load their module on first
access (PEP 562), so `from sync_queue import WorkQueue` works in the worker.

Files in the data folder: `inbox.db` (hooks write, worker drains), `queue.db` (work queue,
failed list, persist-queue's hand-out channel), `sync_state.db` (what was pushed to Plex),
`worker.lock` (one worker at a time). See docs/queue.md.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sync_queue.failed import FailedList
    from sync_queue.inbox import Inbox, InboxRow, bulk_signature
    from sync_queue.jobs import FailedEntry, Job, QueueCounts, WorkItem, WorkQueueStore
    from sync_queue.lock import WorkerLock, worker_lock
    from sync_queue.memqueue import MemWorkQueue
    from sync_queue.pending import get_queued_scene_ids
    from sync_queue.sync_state import SceneSyncState, SyncStateStore, load_sync_timestamps
    from sync_queue.timeparse import parse_rfc3339
    from sync_queue.workqueue import WorkQueue

__all__ = [
    "FailedEntry",
    "FailedList",
    "Inbox",
    "InboxRow",
    "Job",
    "MemWorkQueue",
    "QueueCounts",
    "SceneSyncState",
    "SyncStateStore",
    "WorkItem",
    "WorkQueue",
    "WorkQueueStore",
    "WorkerLock",
    "bulk_signature",
    "get_queued_scene_ids",
    "load_sync_timestamps",
    "parse_rfc3339",
    "worker_lock",
]

_HOME = {
    "FailedEntry": "jobs",
    "FailedList": "failed",
    "Inbox": "inbox",
    "InboxRow": "inbox",
    "Job": "jobs",
    "MemWorkQueue": "memqueue",
    "QueueCounts": "jobs",
    "SceneSyncState": "sync_state",
    "SyncStateStore": "sync_state",
    "WorkItem": "jobs",
    "WorkQueue": "workqueue",
    "WorkQueueStore": "jobs",
    "WorkerLock": "lock",
    "bulk_signature": "inbox",
    "get_queued_scene_ids": "pending",
    "load_sync_timestamps": "sync_state",
    "parse_rfc3339": "timeparse",
    "worker_lock": "lock",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'sync_queue' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"sync_queue.{home}"), name)
