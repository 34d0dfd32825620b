"""Which scenes already have pending work: the inbox's scene rows plus the worker's queue.

Read-only and cheap (two indexed SELECTs, no unpickling), for reconciliation to enqueue
only what is not pending yet. Needs no worker lock and no persist-queue.
"""

from __future__ import annotations

import os

from sync_queue.inbox import Inbox
from sync_queue.queuedb import open_queue_db

__all__ = ["get_queued_scene_ids"]


def get_queued_scene_ids(data_dir: str | os.PathLike[str]) -> set[int]:
    """Scene ids recorded by hooks and not yet taken, or queued/in flight in the worker."""
    with Inbox(data_dir) as inbox:
        ids = inbox.pending_ids("scene")
    conn = open_queue_db(data_dir)
    try:
        ids.update(row[0] for row in conn.execute("SELECT scene_id FROM work"))
    finally:
        conn.close()
    return ids
