"""Hook handlers: turn a scene hook into recorded work, fast, with the standard library only.

A hook never talks to Plex and never fetches the scene (SPEC §2.1): it records ids in the
inbox (one short transaction), asks the reconciliation scheduler whether a run is due (a
JSON read, only when automatic reconciliation is on), applies the wake-up rule
(`runtime.wakeup`: usually a marker file read, at most two GraphQL calls of ≤ 2 s) and exits.
For a bulk edit the first hook records every id of `hookContext.input.ids` (later hooks of
the same bulk then find nothing new); `Scene.Destroy.Post` records only its own id (the
worker forgets its sync state and drops its pending work). Stash unreachable: the work is
recorded, one warning, exit 0. No wake-up while the settings snapshot says Plex is not set
up or `paused` is on; the work is recorded all the same.
"""

from __future__ import annotations

import time
from pathlib import Path

from base.errors import InvocationError
from plugin.invocation import MAX_ID, digits
from runtime.context import Context
from runtime.invocation import HookEvent
from runtime.wakeup import wake_if_due

TYPE_CHECKING = False  # typing costs a hook process milliseconds
if TYPE_CHECKING:
    from sync_queue.inbox import Inbox
    from validation.snapshot import Snapshot

__all__ = [
    "as_id",
    "due_after_recording",
    "handle_scene_hook",
    "record_event",
    "scene_ids_of",
    "wake_after_recording",
]

DESTROY = "Scene.Destroy.Post"


def as_id(value: object) -> int | None:
    """A positive id from hook data (int or digit string) that the inbox can store, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    number = digits(value) if isinstance(value, str) else None
    return number if number is not None and 0 < number <= MAX_ID else None


def _input_ids(event: HookEvent) -> tuple[list[object], list[int]]:
    """Candidate ids from the input: bulk `ids`, or each `id` of a `scenesUpdate` list."""
    data = event.input
    if isinstance(data, dict) and isinstance(data.get("ids"), list):
        candidates: list[object] = data["ids"]
    elif isinstance(data, list):
        candidates = [item.get("id") if isinstance(item, dict) else item for item in data]
    else:
        return [], []
    good = [i for i in (as_id(c) for c in candidates) if i is not None]
    bad = [c for c in candidates if as_id(c) is None]
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


def record_event(data_dir: Path, event: HookEvent, inbox: Inbox | None = None) -> list[int]:
    """Record the event's scenes as pending work in the inbox; returns their ids.

    A bulk input (`ids`, or a `scenesUpdate` list) goes through `Inbox.record_bulk` with the
    ids in input order, so its first hook records them all and the others nothing new.
    """
    ids, _ = scene_ids_of(event)
    from sync_queue.inbox import Inbox, bulk_signature

    owned = inbox is None
    box = Inbox(data_dir) if inbox is None else inbox
    try:
        if event.trigger == DESTROY:
            box.record("scene_destroy", ids, event.trigger)
            return ids
        _, bulk = _input_ids(event)
        if bulk and event.id is not None:
            signature = bulk_signature("scene", bulk, event.input)
            box.record_bulk("scene", bulk, signature, event.id, reason=event.trigger)
        else:
            box.record("scene", ids, event.trigger)
    finally:
        if owned:
            box.close()
    return ids


def due_after_recording(ctx: Context, snapshot: Snapshot, inbox: Inbox, now: float) -> bool:
    """Does the worker have something to do: due work in the inbox, or (with automatic
    reconciliation on) a due run by the scheduler. Closes `inbox` first: no database handle
    is held across the wake-up's GraphQL calls.

    The scheduler module (and its `dataclasses`) is imported only when automatic
    reconciliation is on; with `never` the hook pays nothing for it.
    """
    due = inbox.has_due(now)
    inbox.close()
    settings = snapshot.settings
    if not due and settings.get("reconcile_interval", "never") != "never":
        from reconciliation.scheduler import ReconciliationScheduler

        scheduler = ReconciliationScheduler(ctx.data_dir, warn=ctx.log.warning)
        due = scheduler.decide(settings, now) is not None
    return due


def wake_after_recording(ctx: Context, snapshot: Snapshot, inbox: Inbox) -> str | None:
    """Both hooks' wake-up rule once their work is recorded (hooks honour the back-off after
    a failed request): what the wake-up did, or None when nothing is due."""
    now = time.time()
    due = due_after_recording(ctx, snapshot, inbox, now)
    return wake_if_due(ctx, due, backoff=True, snapshot=snapshot, now=now)


def handle_scene_hook(ctx: Context) -> dict[str, object]:
    """Handler of Scene.Create/Update/Destroy.Post: `{"hook": trigger, "scene_ids": [...]}`."""
    event = ctx.invocation.hook
    if event is None:
        raise InvocationError("the scene hook handler needs a hook invocation")
    snapshot = ctx.snapshot()
    ctx.log.debug_enabled = snapshot.settings.get("debug_logging") is True
    _, ignored = scene_ids_of(event)
    if ignored:
        ctx.log.warning(f"{event.trigger}: ignored {ignored} malformed scene id(s) in the input")
    from sync_queue.inbox import Inbox

    inbox = Inbox(ctx.ensure_data_dir())
    try:
        ids = record_event(ctx.data_dir, event, inbox)
        ctx.log.debug(f"{event.trigger}: recorded scene(s) {_preview(ids)}")
        woke = wake_after_recording(ctx, snapshot, inbox)
    finally:
        inbox.close()
    if woke is not None:
        ctx.log.debug(f"{event.trigger}: wake-up: {woke}")
    return {"hook": event.trigger, "scene_ids": ids}


def _preview(ids: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown if len(ids) <= limit else f"{shown} … (+{len(ids) - limit})"
