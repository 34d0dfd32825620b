"""Entity hooks: a renamed, re-parented, deleted or merged performer/studio/tag/group → inbox.

Standard library only and as cheap as the scene hooks (plugin/hooks.py, SPEC §2.1): Stash
fires no scene hook when an entity a scene displays changes, and never bumps those scenes'
`updated_at` (reference/stash.md §1.3, §7.7), so the hook records the *entity* and the
worker expands it into scenes (worker/expand.py). What is recorded:

| Trigger | Inbox rows | Expanded by the worker from |
|---|---|---|
| `<Entity>.Update.Post` | `<kind>` (entity id) | paged `findScenes` filtered by the entity |
| `<Entity>.Destroy.Post` | `<kind>_destroy` | our sync state (Stash no longer knows it) |
| `Tag.Merge.Post` | `tag_destroy` per source, `tag` for the destination | both of the above |

`inputFields` decides whether an update can change what Plex shows (`RELEVANT_FIELDS`): only
names are pushed (actors, genres, studio, collections), plus a studio's parent (its name is a
collection) and what a collection shows (a studio's details and image, a group's synopsis and
front image). An edit sending none of them (a rating or favourite click, a performer's image,
aliases) records nothing; absent `inputFields` means "unknown" and is recorded. A bulk entity edit
(`input.ids`, or a list input) is recorded by its first hook, like a bulk scene edit.
"""

from __future__ import annotations

from base.errors import InvocationError
from base.record import Record
from plugin.hooks import as_id, wake_after_recording
from runtime.context import Context
from runtime.invocation import HookEvent

TYPE_CHECKING = False  # typing costs a hook process milliseconds
if TYPE_CHECKING:
    from sync_queue.inbox import Inbox

__all__ = [
    "ENTITY_KINDS",
    "RELEVANT_FIELDS",
    "EntityPlan",
    "handle_entity_hook",
    "plan_entity_event",
]

ENTITY_KINDS = {"Performer": "performer", "Studio": "studio", "Tag": "tag", "Group": "group"}
DESTROY_SUFFIX = "_destroy"
MERGE = "Tag.Merge.Post"
# Update fields that can change a Plex item: the names pushed as actors, genres, studio and
# collections, and a studio's parent (the parent's name is a collection of the scene); and
# what a collection we own shows (issue 19): a studio's details and image, a group's synopsis
# and front image.
RELEVANT_FIELDS = {
    "performer": frozenset({"name"}),
    "studio": frozenset({"name", "parent_id", "details", "image"}),
    "tag": frozenset({"name"}),
    "group": frozenset({"name", "synopsis", "front_image"}),
}


class EntityPlan(Record):
    """What one entity hook records: `rows` = ((inbox kind, ids, bulk), ...); `ignored` says
    why nothing is recorded (empty when something is)."""

    __slots__ = ("entity", "ids", "ignored", "rows")

    def __init__(
        self,
        entity: str,
        ids: list[int],
        rows: tuple[tuple[str, list[int], bool], ...],
        ignored: str = "",
    ) -> None:
        self.entity = entity
        self.ids = ids
        self.rows = rows
        self.ignored = ignored


def _ids(values: object) -> list[int]:
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(i for i in (as_id(v) for v in values) if i is not None))


def _bulk_ids(event: HookEvent) -> list[int]:
    """Ids of a bulk input: `BulkXUpdateInput.ids`, or the id list of a plural destroy."""
    data = event.input
    if isinstance(data, dict):
        return _ids(data.get("ids"))
    return _ids(data)


def _own_id(event: HookEvent) -> int | None:
    if event.id is not None:
        return event.id
    data = event.input
    return as_id(data.get("id")) if isinstance(data, dict) else None


def plan_entity_event(event: HookEvent) -> EntityPlan:
    """The rows an entity hook records (pure). Raises InvocationError when the event names
    no entity or is not an entity trigger."""
    prefix, _, action = event.trigger.partition(".")
    kind = ENTITY_KINDS.get(prefix)
    if kind is None:
        raise InvocationError(f"{event.trigger} is not a performer, studio, tag or group hook")
    if event.trigger == MERGE:
        data = event.input if isinstance(event.input, dict) else {}
        destination = as_id(data.get("destination")) or event.id
        sources = [s for s in _ids(data.get("source")) if s != destination]
        if destination is None:
            raise InvocationError(f"{event.trigger} hook carries no destination tag id")
        rows = ((kind + DESTROY_SUFFIX, sources, False), (kind, [destination], False))
        return EntityPlan(kind, [destination, *sources], tuple(r for r in rows if r[1]))
    own = _own_id(event)
    bulk = _bulk_ids(event)
    ids = list(dict.fromkeys([i for i in (own,) if i is not None] + bulk))
    if not ids:
        raise InvocationError(f"{event.trigger} hook carries no {kind} id")
    use_bulk = bool(bulk) and own is not None
    if action.startswith("Destroy"):
        return EntityPlan(kind, ids, ((kind + DESTROY_SUFFIX, bulk or ids, use_bulk),))
    sent = set(event.input_fields)
    if sent and not sent & RELEVANT_FIELDS[kind]:
        shown = ", ".join(sorted(sent - {"id", "ids"})) or "none"
        return EntityPlan(kind, ids, (), f"no field Plex shows was sent ({shown})")
    return EntityPlan(kind, ids, ((kind, bulk or ids, use_bulk),))


def record_plan(inbox: Inbox, event: HookEvent, plan: EntityPlan) -> None:
    """Record the plan's rows (one short transaction each)."""
    from sync_queue.inbox import bulk_signature

    for kind, ids, bulk in plan.rows:
        if bulk and event.id is not None:
            signature = bulk_signature(kind, ids, event.input)
            inbox.record_bulk(kind, ids, signature, event.id, reason=event.trigger)
        else:
            inbox.record(kind, ids, event.trigger)


def handle_entity_hook(ctx: Context) -> dict[str, object]:
    """Handler of the Performer/Studio/Tag/Group hooks and Tag.Merge.Post:
    `{"hook": trigger, "entity": kind, "ids": [...], "recorded": bool}`."""
    event = ctx.invocation.hook
    if event is None:
        raise InvocationError("the entity hook handler needs a hook invocation")
    snapshot = ctx.snapshot()
    ctx.log.debug_enabled = snapshot.settings.get("debug_logging") is True
    plan = plan_entity_event(event)
    from sync_queue.inbox import Inbox

    inbox = Inbox(ctx.ensure_data_dir())
    try:
        record_plan(inbox, event, plan)
        if plan.rows:
            ctx.log.debug(f"{event.trigger}: recorded {plan.entity}(s) {plan.ids[:20]}")
        else:
            ctx.log.debug(f"{event.trigger}: nothing to record: {plan.ignored}")
        woke = wake_after_recording(ctx, snapshot, inbox)
    finally:
        inbox.close()
    if woke is not None:
        ctx.log.debug(f"{event.trigger}: wake-up: {woke}")
    output: dict[str, object] = {
        "hook": event.trigger,
        "entity": plan.entity,
        "ids": plan.ids,
        "recorded": bool(plan.rows),
    }
    if plan.ignored:
        output["ignored"] = plan.ignored
    return output
