"""Hook handlers: turn a scene hook into recorded work, fast, with the standard library only.

A hook never talks to Plex and never fetches the scene: it records ids and exits (SPEC §2.1).
For a bulk edit the first hook records every id of `hookContext.input.ids` (later hooks of
the same bulk then find nothing new); `Scene.Destroy.Post` records only its own id.
"""

from __future__ import annotations

from pathlib import Path

from plugin.context import Context
from plugin.errors import InvocationError
from plugin.invocation import HookEvent

__all__ = ["handle_scene_hook", "record_event", "scene_ids_of"]

DESTROY = "Scene.Destroy.Post"


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def _input_ids(event: HookEvent) -> tuple[list[object], list[int]]:
    """Candidate ids from the input: bulk `ids`, or each `id` of a `scenesUpdate` list."""
    data = event.input
    if isinstance(data, dict) and isinstance(data.get("ids"), list):
        candidates: list[object] = data["ids"]
    elif isinstance(data, list):
        candidates = [item.get("id") if isinstance(item, dict) else item for item in data]
    else:
        return [], []
    good = [i for i in (_as_id(c) for c in candidates) if i is not None]
    bad = [c for c in candidates if _as_id(c) is None]
    return bad, good


def scene_ids_of(event: HookEvent) -> tuple[list[int], int]:
    """The scene ids a scene hook stands for, and how many malformed input ids were ignored.

    Order: the hook's own id first, then the bulk ids in input order, without duplicates.
    Raises InvocationError when the event names no scene at all.
    """
    bad: list[object] = []
    ids: list[int] = [event.id] if event.id is not None else []
    if event.trigger != DESTROY:
        bad, extra = _input_ids(event)
        ids.extend(extra)
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise InvocationError(f"{event.trigger} hook carries no scene id")
    return unique, len(bad)


def record_event(data_dir: Path, event: HookEvent) -> list[int]:
    """Seam: record the event's scenes as pending work and return their ids.

    The coordinator wires `sync_queue.inbox` here; until then it only validates.
    """
    ids, _ = scene_ids_of(event)
    return ids


def handle_scene_hook(ctx: Context) -> dict[str, object]:
    """Handler of Scene.Create/Update/Destroy.Post: `{"hook": trigger, "scene_ids": [...]}`."""
    event = ctx.invocation.hook
    if event is None:
        raise InvocationError("the scene hook handler needs a hook invocation")
    ctx.log.debug_enabled = ctx.snapshot().settings.get("debug_logging") is True
    _, ignored = scene_ids_of(event)
    if ignored:
        ctx.log.warning(f"{event.trigger}: ignored {ignored} malformed scene id(s) in the input")
    ids = record_event(ctx.data_dir, event)
    ctx.log.debug(f"{event.trigger}: recorded scene(s) {_preview(ids)}")
    return {"hook": event.trigger, "scene_ids": ids}


def _preview(ids: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown if len(ids) <= limit else f"{shown} … (+{len(ids) - limit})"
