"""The one dispatch table: hook triggers and task modes → handler, name and description.

Standard library only. Handlers are named as "module:function" and imported only when their
route is taken, so a hook never pays for a task's imports. The manifest (Stash2Plex.yml) is
rendered from this table and a test holds the two equal: no task without a handler, no
handler without a task, unknown modes fail loudly (reference/stash.md §11.17).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from base.errors import UnknownMode
from base.record import Record
from runtime.invocation import Invocation

__all__ = [
    "CATCH_UP_AFTER_MODES",
    "ENTITY_TRIGGERS",
    "HOOK",
    "ROUTES",
    "SCHEDULE_AWARE_MODES",
    "TASK",
    "Route",
    "find_route",
    "hook_routes",
    "load_handler",
    "task_routes",
]

HOOK = "hook"
TASK = "task"

SCENE_HOOK_NAME = "Stash2Plex: Record Scene Changes"
SCENE_HOOK_DESCRIPTION = "Records changed scenes for the queue; never talks to Plex."
_SCENE_HOOK = "plugin.hooks:handle_scene_hook"
ENTITY_HOOK_NAME = "Stash2Plex: Record Entity Changes"
ENTITY_HOOK_DESCRIPTION = (
    "Records renamed, deleted or merged performers, studios, tags and groups; the queue "
    "pushes their scenes again. Never talks to Plex."
)
_ENTITY_HOOK = "plugin.entity_hooks:handle_entity_hook"
# Group.* fires since Stash v0.27 (with the deprecated Movie.*, which is not declared: one
# process per edit is enough); older versions' movie renames are found by reconciliation.
ENTITY_TRIGGERS = (
    "Performer.Update.Post",
    "Performer.Destroy.Post",
    "Studio.Update.Post",
    "Studio.Destroy.Post",
    "Tag.Update.Post",
    "Tag.Destroy.Post",
    "Tag.Merge.Post",
    "Group.Update.Post",
    "Group.Destroy.Post",
)


# Tasks whose handlers apply the reconciliation policy themselves: the worker performs a due
# run before draining, View Status and the reconcile tasks wake it. Every other task only
# asks the scheduler afterwards (plugin.app), as SPEC §3 asks of every invocation.
SCHEDULE_AWARE_MODES = frozenset(
    {
        "process_queue",
        "sync_all",
        "sync_recent",
        "pull_activity",
        "status",
        "reconcile_all",
        "reconcile_recent",
        "reconcile_7days",
    }
)


# Maintenance tasks after which the worker's catch-up runs (worker/catchup.py), so a change
# made without a hook while nothing of ours ran reaches Plex at the next task too. Not after
# Health Check and Preview Gaps (they change nothing), Clear Queue (the user just dropped
# pending work) or Unlock Plex Fields (a following sync would lock the fields again).
CATCH_UP_AFTER_MODES = frozenset({"status", "retry_failed", "clear_failed", "purge_failed"})


class Route(Record):
    """One table entry. `key` is the trigger (hooks) or the `mode` (tasks).

    `target` is the handler as "module:function"; `name` is the task button (and
    `runPluginTask` task_name) or the manifest hook entry; `default_args` are extra task
    arguments besides `mode`, as strings.
    """

    __slots__ = ("default_args", "description", "key", "kind", "name", "target")

    def __init__(
        self,
        kind: str,
        key: str,
        target: str,
        name: str,
        description: str,
        default_args: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.kind = kind
        self.key = key
        self.target = target
        self.name = name
        self.description = description
        self.default_args = default_args


ROUTES: tuple[Route, ...] = (
    Route(HOOK, "Scene.Create.Post", _SCENE_HOOK, SCENE_HOOK_NAME, SCENE_HOOK_DESCRIPTION),
    Route(HOOK, "Scene.Update.Post", _SCENE_HOOK, SCENE_HOOK_NAME, SCENE_HOOK_DESCRIPTION),
    Route(HOOK, "Scene.Destroy.Post", _SCENE_HOOK, SCENE_HOOK_NAME, SCENE_HOOK_DESCRIPTION),
    *(
        Route(HOOK, trigger, _ENTITY_HOOK, ENTITY_HOOK_NAME, ENTITY_HOOK_DESCRIPTION)
        for trigger in ENTITY_TRIGGERS
    ),
    Route(
        TASK,
        "process_queue",
        "tasks.sync:process_queue",
        "Stash2Plex: Process Queue",
        "Pushes the queued scene changes to Plex. Started automatically after edits; "
        "run it by hand after fixing a problem.",
    ),
    Route(
        TASK,
        "sync_all",
        "tasks.sync:sync_all",
        "Sync All Scenes",
        "Queues every Stash scene and pushes it to Plex.",
    ),
    Route(
        TASK,
        "sync_recent",
        "tasks.sync:sync_recent",
        "Sync Recent Scenes (24 h)",
        "Queues the scenes updated in the last 24 hours and pushes them to Plex.",
    ),
    Route(
        TASK,
        "pull_activity",
        "tasks.pull:pull_activity",
        "Pull Plex Activity",
        "Brings plays, resume points (pull_plays) and ratings (pull_ratings) from Plex into "
        "Stash now; Process Queue also does it at its start while a setting is on.",
    ),
    Route(
        TASK,
        "status",
        "tasks.status:run_status",
        "View Status",
        "Shows the settings, the queue, recent failures and the last run in the log.",
    ),
    Route(
        TASK,
        "retry_failed",
        "tasks.queue:retry_failed",
        "Retry Failed",
        "Queues every failed scene again with fresh attempts.",
    ),
    Route(
        TASK,
        "clear_queue",
        "tasks.queue:clear_queue",
        "Clear Queue",
        "Forgets every pending scene change (the failed list stays).",
    ),
    Route(
        TASK,
        "clear_failed",
        "tasks.queue:clear_failed",
        "Clear Failed",
        "Empties the failed list without retrying.",
    ),
    Route(
        TASK,
        "unlock_fields",
        "tasks.unlock:run_unlock_fields",
        "Unlock Plex Fields",
        "Removes the field locks Stash2Plex set in Plex (before uninstalling the plugin); "
        "Plex agents may then change those fields again.",
    ),
    Route(
        TASK,
        "purge_failed",
        "tasks.queue:purge_failed",
        "Purge Old Failed (30 days)",
        "Removes failed entries whose last attempt is older than 30 days.",
        (("days", "30"),),
    ),
    Route(
        TASK,
        "reconcile_all",
        "tasks.reconcile:reconcile_all",
        "Reconcile Library (All)",
        "Finds every scene whose Plex item is empty, outdated or not in Plex yet and queues "
        "it for Process Queue.",
    ),
    Route(
        TASK,
        "reconcile_recent",
        "tasks.reconcile:reconcile_recent",
        "Reconcile Library (Recent)",
        "Same as Reconcile Library (All), for the scenes updated in the last 24 hours.",
    ),
    Route(
        TASK,
        "reconcile_7days",
        "tasks.reconcile:reconcile_7days",
        "Reconcile Library (Last 7 Days)",
        "Same as Reconcile Library (All), for the scenes updated in the last 7 days.",
    ),
    Route(
        TASK,
        "preview_gaps",
        "tasks.reconcile:preview_gaps",
        "Preview Gaps",
        "Lists what reconciliation would fix (the first gaps with reasons, totals by type) "
        "without queueing anything.",
    ),
    Route(
        TASK,
        "health_check",
        "tasks.health:run_health_check",
        "Health Check",
        "Checks Stash, the settings, Plex (token, permission, libraries) and how Stash's "
        "files match Plex's; suggests the path_map; ends with a verdict. Changes nothing in "
        "Stash or Plex.",
    ),
)


def _short(text: str | None, limit: int = 60) -> str:
    quoted = repr(text)
    return quoted if len(quoted) <= limit else quoted[: limit - 1] + "…"


def _known(keys: list[str], limit: int = 90) -> str:
    """The known keys for an error line, cut (with a count) so the line stays short."""
    shown: list[str] = []
    for key in keys:
        if len(", ".join([*shown, key])) > limit:
            return f"{', '.join(shown)} … (+{len(keys) - len(shown)} more)"
        shown.append(key)
    return ", ".join(shown)


def hook_routes() -> list[Route]:
    return [r for r in ROUTES if r.kind == HOOK]


def task_routes() -> list[Route]:
    return [r for r in ROUTES if r.kind == TASK]


def find_route(invocation: Invocation) -> Route:
    """The route for this invocation; UnknownMode names what is known instead."""
    if invocation.hook is not None:
        trigger = invocation.hook.trigger
        for route in hook_routes():
            if route.key == trigger:
                return route
        known = _known([r.key for r in hook_routes()])
        raise UnknownMode(f"no handler for hook trigger {_short(trigger)} (handled: {known})")
    for route in task_routes():
        if route.key == invocation.mode:
            return route
    known = _known([r.key for r in task_routes()])
    raise UnknownMode(f"unknown task mode {_short(invocation.mode)} (known modes: {known})")


def load_handler(route: Route) -> Callable[..., object]:
    """Import the route's handler: a callable taking the `runtime.context.Context`."""
    module_name, _, function = route.target.partition(":")
    return getattr(importlib.import_module(module_name), function)
