"""Scenes that no longer exist in Stash, found by a complete walk over every scene id, are
forgotten like a `Scene.Destroy.Post` (their claims on Plex items released).

Stash deletes scenes without `Scene.Destroy.Post` (the sources of a scene merge,
`pkg/scene/merge.go`), so their sync-state rows would keep claiming Plex items forever.
Reconcile Library (All) sees every id: the sync-state ids it did not see are candidates,
checked once more with one `findScenes` (ids between the smallest and largest candidate,
fragment `id`), because offset paging can shift a scene past the walk when another is
deleted meanwhile. What stays missing is forgotten the way a `Scene.Destroy.Post` is: a
`scene_destroy` row in the inbox (the worker drops the queue row and the sync state), or
directly when the engine was given the worker's own queue.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

__all__ = ["FORGET_REASON", "confirm_gone", "forget_gone"]

FORGET_REASON = "gone from Stash (reconciliation)"


def confirm_gone(stash: Any, candidates: Iterable[int]) -> list[int]:
    """The candidates Stash really does not have (one request; none when no candidate).
    Errors of the `stash` object propagate: the caller then forgets nothing."""
    wanted = sorted(set(candidates))
    if not wanted:
        return []
    found = stash.find_scenes(
        f={"id": {"value": wanted[0], "value2": wanted[-1], "modifier": "BETWEEN"}},
        filter={"per_page": -1},
        fragment="id",
    )
    present = set()
    for scene in found or []:
        try:
            present.add(int(scene["id"]))
        except (KeyError, TypeError, ValueError):
            continue
    return [sid for sid in wanted if sid not in present]


def forget_gone(queue: Any, data_dir: str | os.PathLike[str], scene_ids: list[int]) -> None:
    """Forget `scene_ids` like a Scene.Destroy.Post: through the inbox when `queue` is one,
    else drop their queue rows (when `queue` can) and their sync state here."""
    if not scene_ids:
        return
    if callable(getattr(queue, "record", None)):
        queue.record("scene_destroy", scene_ids, FORGET_REASON)
        return
    drop = getattr(queue, "drop", None)
    if callable(drop):
        for sid in scene_ids:
            drop(sid)
    from sync_queue.sync_state import SyncStateStore

    with SyncStateStore(data_dir) as store:
        store.forget_many(scene_ids)
