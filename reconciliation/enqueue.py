"""The enqueue rules of a reconciliation run: one job per scene, only for work not yet pending.

A scene with gaps is queued once per run whatever its gap types; a scene already pending
(a hook recorded it, or it waits in the worker's queue) is skipped and counted; a scene
failing `has_meaningful_metadata` is skipped and counted (the worker would never push it).
Nothing else is filtered: an `empty_metadata` gap on an already-synced scene is queued
(an agent refresh that wiped the item is exactly what reconciliation repairs).

The queue may be the worker's `WorkQueue` (or `MemWorkQueue`: `add_many`), the hook `Inbox`
(`record`, which any process may write without the worker lock), or anything with `add(id)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from reconciliation.detector import GapResult
from reconciliation.result import GapDetectionResult
from validation.meaningful import has_meaningful_metadata

__all__ = ["ENQUEUE_REASON", "Enqueuer", "put_scenes", "queued_scene_ids"]

ENQUEUE_REASON = "reconciliation"


def queued_scene_ids(data_dir: str | os.PathLike[str], queue: Any = None) -> set[int]:
    """Scenes with pending work: the data folder's inbox and work queue, plus `queue`'s own
    (when it is another store, e.g. an in-memory queue)."""
    from sync_queue.queuedb import get_queued_scene_ids

    ids = set(get_queued_scene_ids(data_dir))
    own = getattr(queue, "get_queued_scene_ids", None)
    if callable(own):
        ids.update(int(i) for i in own())
    pending = getattr(queue, "pending_ids", None)
    if callable(pending):
        ids.update(int(i) for i in pending("scene"))
    return ids


def put_scenes(queue: Any, scene_ids: list[int]) -> None:
    """Add scene jobs to whatever queue object the caller gave (see module docstring)."""
    if not scene_ids:
        return
    if callable(getattr(queue, "add_many", None)):
        queue.add_many(scene_ids)
    elif callable(getattr(queue, "record", None)):
        queue.record("scene", scene_ids, ENQUEUE_REASON)
    elif callable(getattr(queue, "add", None)):
        for scene_id in scene_ids:
            queue.add(scene_id)
    else:
        raise TypeError(f"{type(queue).__name__} has no add_many(), record() or add()")


class Enqueuer:
    """Applies the rules to the gaps of each chunk and counts into `result`."""

    def __init__(self, queue: Any, pending: Iterable[int], result: GapDetectionResult) -> None:
        self.queue = queue
        self.pending = set(pending)
        self.result = result
        self.seen: set[int] = set()

    def offer(self, gaps: Iterable[GapResult]) -> list[int]:
        """Queue the new scenes among `gaps` (one call per chunk); returns the ids queued
        (in a dry run: the ids that would be)."""
        chosen: list[int] = []
        for gap in gaps:
            scene_id = gap.scene_id
            if scene_id in self.seen:
                continue
            self.seen.add(scene_id)
            self.result.scenes_with_gaps += 1
            if scene_id in self.pending:
                self.result.skipped_already_queued += 1
            elif not has_meaningful_metadata(gap.scene_data):
                self.result.skipped_no_metadata += 1
            else:
                chosen.append(scene_id)
        self.result.to_enqueue_count += len(chosen)
        if self.queue is not None and chosen:
            put_scenes(self.queue, chosen)
            self.result.enqueued_count += len(chosen)
        return chosen
