"""Play and resume mutations: sceneAddPlay, sceneIncrementPlayCount, sceneSaveActivity.

None of them fires a hook or moves `updated_at` (internal/api/resolver_mutation_scene.go and
pkg/sqlite/scene.go at v0.30.1: `AddViews` / `SaveActivity` write the view table or the
activity columns only; the resolvers call no `ExecutePostHooks`). Since v0.25 a scene's
`play_count` is the number of its view dates and `last_played_at` the newest of them; v0.24
keeps a counter, `IncrementWatchCount` sets `last_played_at` to now, and `sceneUpdate`
accepts an absolute `play_count` (v0.24.3 `updatedScene.PlayCount = ...`; v0.30.1 only logs
"play_count is deprecated and no longer supported"). `sceneAddPlay` exists since v0.25.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.stash_emu.resolving import context, parse_id
from sandbox.stash_emu.state import State

__all__ = ["RESOLVERS", "has_history", "play_history", "set_play_count"]

_HISTORY_SINCE = (0, 25, 0)


def has_history(state: State) -> bool:
    return state.mode.version >= _HISTORY_SINCE


def play_history(state: State, scene_id: int) -> list[datetime]:
    return list(state.extras.get("scene", scene_id, "play_history", []) or [])  # type: ignore[call-overload]


def _check(state: State, scene_id: int) -> None:
    if scene_id not in state.library.scenes:
        raise ValueError(f"scene with id {scene_id} not found")


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"invalid timestamp {text!r}")
    return value


def _add_views(state: State, scene_id: int, times: list[datetime]) -> list[datetime]:
    """`AddViews`: the times (none given: now) join the scene's view dates, sorted."""
    history = sorted([*play_history(state, scene_id), *(times or [state.stamp()])])
    state.extras.set(
        "scene",
        scene_id,
        play_history=history,
        play_count=len(history),
        last_played_at=max(history),
    )
    return history


def scene_add_play(_: Any, info: Any, id: str, times: list[str] | None = None) -> dict:
    state = context(info).state
    scene_id = parse_id(id)
    # Stash converts each time to the server's local zone (`tt.Local()`) before storing.
    parsed = [_parse_time(t).astimezone(state.server_fmt.tz) for t in times or []]
    with state.library.lock:
        _check(state, scene_id)
        history = _add_views(state, scene_id, parsed)
    return {"count": len(history), "history": [state.fmt(t) for t in history]}


def scene_increment_play_count(_: Any, info: Any, id: str) -> int:
    state = context(info).state
    scene_id = parse_id(id)
    with state.library.lock:
        _check(state, scene_id)
        if has_history(state):
            return len(_add_views(state, scene_id, []))
        count = int(state.extras.get("scene", scene_id, "play_count", 0) or 0) + 1  # type: ignore[call-overload]
        state.extras.set("scene", scene_id, play_count=count, last_played_at=state.stamp())
        return count


def scene_save_activity(
    _: Any, info: Any, id: str, resume_time: float | None = None, playDuration: float | None = None
) -> bool:
    state = context(info).state
    scene_id = parse_id(id)
    with state.library.lock:
        _check(state, scene_id)
        if resume_time is not None:
            state.extras.set("scene", scene_id, resume_time=float(resume_time))
        if playDuration is not None:
            before = float(state.extras.get("scene", scene_id, "play_duration", 0.0) or 0.0)  # type: ignore[arg-type]
            state.extras.set("scene", scene_id, play_duration=before + float(playDuration))
    return True


def set_play_count(state: State, scene_id: int, value: object) -> None:
    """`sceneUpdate(play_count)`: absolute on v0.24, ignored since (see the docstring)."""
    if not has_history(state) and value is not None:
        state.extras.set("scene", scene_id, play_count=int(value))  # type: ignore[call-overload]


RESOLVERS = {
    "sceneAddPlay": scene_add_play,
    "sceneIncrementPlayCount": scene_increment_play_count,
    "sceneSaveActivity": scene_save_activity,
}
