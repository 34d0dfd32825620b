"""What a written scene leaves behind: its new `SceneSyncState` (targets, fingerprints, the
entities it carries, post-write baselines), built from the write's result.

The Plex step (`worker.step_plex`) calls `new_sync_state` for each written scene, in the
batch's order, and stores them in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from base.status import SceneStatus
from plex.items import PlexItemSnapshot
from plex.writer import Target, WriteResult
from sync_queue.sync_state import SceneSyncState
from validation.desired import DesiredItem
from validation.drift import pushed_fingerprint
from worker.converge import PendingBaselines, kept_baselines

__all__ = ["new_sync_state", "scene_entities"]


def _ids(values: object, inner: str | None = None) -> tuple[int, ...]:
    found: list[int] = []
    for value in values if isinstance(values, list) else ():
        entry = value.get(inner) if inner and isinstance(value, dict) else value
        if isinstance(entry, dict):
            try:
                found.append(int(str(entry.get("id"))))
            except ValueError:
                continue
    return tuple(sorted(set(found)))


def scene_entities(scene: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Ids of the performers, studios (with the parent), tags and groups a scene carries;
    all of them, so a rename of any (an excluded tag too) finds the scene again."""
    studio = scene.get("studio")
    studios = [studio] if isinstance(studio, dict) else []
    if studios and isinstance(studios[0].get("parent_studio"), dict):
        studios.append(studios[0]["parent_studio"])
    entities = {
        "performer": _ids(scene.get("performers")),
        "studio": _ids(studios),
        "tag": _ids(scene.get("tags")),
        "group": _ids(scene.get("groups"), "group"),
    }
    return {kind: ids for kind, ids in entities.items() if ids}


def new_sync_state(
    raw: dict[str, Any],
    desired: DesiredItem,
    previous: SceneSyncState | None,
    targets: tuple[Target, ...],
    result: WriteResult,
    snapshots: Mapping[int, PlexItemSnapshot],
    now: float,
) -> SceneSyncState | None:
    """The scene's state after `result` (None: nothing to record, e.g. a failed write)."""
    if result.fingerprints is None:
        return None
    if result.complete:
        updated_at = desired.updated_at
    else:  # fields pushed, images not: this version is not fully synced yet
        updated_at = previous.updated_at if previous else None
    return SceneSyncState(
        scene_id=desired.scene_id,
        updated_at=updated_at,
        # 0.0 = "no version fully synced yet": reconciliation sees it as stale, and every
        # row stays listed by `sync_timestamps()` (Unlock Plex Fields walks those).
        updated_at_epoch=None if updated_at else 0.0,
        targets=targets,
        fingerprints=result.fingerprints,
        entities=scene_entities(raw),
        last_synced_at=now,
        desired_fingerprint=pushed_fingerprint(
            desired, cover_pending=result.status is SceneStatus.COVER_PENDING
        ),
        baselines=_baselines(previous, targets, result, snapshots),
    )


def _baselines(
    previous: SceneSyncState | None,
    targets: tuple[Target, ...],
    result: WriteResult,
    snapshots: Mapping[int, PlexItemSnapshot],
) -> dict[int, dict[str, str]]:
    prev = previous.baselines if previous else {}
    if result.edits or result.uploads:  # fetched after the batch's writes
        return PendingBaselines(prev, result.preserved)
    return kept_baselines(prev, targets, snapshots)
