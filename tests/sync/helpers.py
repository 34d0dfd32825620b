"""Small helpers for the sync tests: pick planted scenes, edit Stash through GraphQL.

Edits go through `sceneUpdate` (bumping `updated_at` as Stash does) unless a test means to
change the library behind Stash's back (a cover generated later).
"""

from __future__ import annotations

import base64
from typing import Any

from tests.sync.conftest import SyncWorld

_UPDATE = "mutation Edit($input: SceneUpdateInput!) { sceneUpdate(input: $input) { id } }"


def pick(
    world: SyncWorld,
    *,
    state: str = "plex_empty",
    cover: bool = True,
    min_tags: int = 0,
    details: bool | None = None,
    one_target: bool = True,
) -> int:
    """A scene of the given Plex state (a `Truth` set name) with the wanted traits."""
    truth = world.truth
    for sid in sorted(getattr(truth, state)):
        scene = world.generated.stash.scenes[sid]
        if sid in truth.no_metadata or (sid in truth.no_cover) == cover:
            continue
        if sid in truth.heavy or sid in truth.long_details or sid in truth.control_chars:
            continue
        if len(scene.tag_ids) < min_tags or (one_target and len(truth.scenes[sid].targets) != 1):
            continue
        if details is not None and bool(scene.details) != details:
            continue
        return sid
    raise AssertionError(f"no {state} scene with cover={cover}, min_tags={min_tags}")


def update_scene(world: SyncWorld, scene_id: int, **fields: Any) -> None:
    """`sceneUpdate` as the Stash UI sends it (bumps `updated_at`, like Stash)."""
    world.gateway.call(_UPDATE, {"input": {"id": str(scene_id), **fields}})


def data_url(image: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def only_item(world: SyncWorld, scene_id: int) -> Any:
    (item,) = world.items_of(scene_id)
    return item
