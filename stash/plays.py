"""Stash's play, resume and rating writes for the Plex activity pull (issue 18).

v0.25 and later add plays with `sceneAddPlay(id, times)`; v0.24 has no play history, only an
absolute `play_count` through `sceneUpdate`. `sceneSaveActivity` sets a resume point. Neither
play mutation fires a hook or moves `updated_at`; a `rating100` write through `sceneUpdate`
does both (internal/api/resolver_mutation_scene.go, pkg/sqlite/scene.go at v0.30.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from stash.forms import PLAY_HISTORY, uses

__all__ = [
    "activity_fragment",
    "add_plays",
    "has_play_history",
    "save_resume",
    "set_play_count",
    "set_rating",
]

_ADD_PLAY = """mutation AddPlay($id: ID!, $times: [Timestamp!]) {
  sceneAddPlay(id: $id, times: $times) { count }
}"""
_SAVE_ACTIVITY = """mutation SaveActivity($id: ID!, $resume: Float) {
  sceneSaveActivity(id: $id, resume_time: $resume)
}"""
_UPDATE = """mutation PullUpdate($input: SceneUpdateInput!) {
  sceneUpdate(input: $input) { id updated_at rating100 play_count }
}"""


class _Gateway(Protocol):
    version_info: tuple[int, int, int]

    def call(self, query: str, variables: dict[str, object] | None = None) -> dict[str, Any]: ...


def has_play_history(version: tuple[int, int, int]) -> bool:
    """`play_history` and `sceneAddPlay` exist (stash.forms `PLAY_HISTORY`, v0.25+)."""
    return uses(version, PLAY_HISTORY)


def activity_fragment(version: tuple[int, int, int]) -> str:
    """The scene fields the pull reads (`play_history` only where it exists)."""
    history = " play_history" if has_play_history(version) else ""
    return f"id title updated_at rating100 play_count resume_time last_played_at{history}"


def add_plays(stash: _Gateway, scene_id: int, times: Iterable[str]) -> None:
    """One `sceneAddPlay` with every time (RFC 3339); never retried: a retry doubles plays."""
    stash.call(_ADD_PLAY, {"id": str(scene_id), "times": list(times)})


def save_resume(stash: _Gateway, scene_id: int, resume_time: float) -> None:
    stash.call(_SAVE_ACTIVITY, {"id": str(scene_id), "resume": float(resume_time)})


def set_play_count(stash: _Gateway, scene_id: int, count: int) -> None:
    """v0.24: the absolute play count (v0.24's `sceneUpdate` accepts it)."""
    stash.call(_UPDATE, {"input": {"id": str(scene_id), "play_count": int(count)}})


def set_rating(stash: _Gateway, scene_id: int, rating100: int | None) -> dict[str, Any]:
    """`sceneUpdate(rating100)` (fires Scene.Update.Post); returns the updated scene."""
    data = stash.call(_UPDATE, {"input": {"id": str(scene_id), "rating100": rating100}})
    return dict(data.get("sceneUpdate") or {})
