"""The one dispatch table: hook triggers and task modes → handler, name and description.

Standard library only. Handlers are named as "module:function" and imported only when their
route is taken, so a hook never pays for a task's imports. The manifest (Stash2Plex.yml) is
rendered from this table and a test holds the two equal: no task without a handler, no
handler without a task, unknown modes fail loudly (reference/stash.md §11.17).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from plugin.errors import UnknownMode
from plugin.invocation import Invocation
from plugin.record import Record

__all__ = [
    "HOOK",
    "ROUTES",
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
    Route(
        TASK,
        "status",
        "plugin.status:run_status",
        "View Status",
        "Shows the effective settings, version and data folder in the log.",
    ),
)


def _short(text: str | None, limit: int = 60) -> str:
    quoted = repr(text)
    return quoted if len(quoted) <= limit else quoted[: limit - 1] + "…"


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
        known = ", ".join(r.key for r in hook_routes())
        raise UnknownMode(f"no handler for hook trigger {_short(trigger)} (handled: {known})")
    for route in task_routes():
        if route.key == invocation.mode:
            return route
    known = ", ".join(r.key for r in task_routes())
    raise UnknownMode(f"unknown task mode {_short(invocation.mode)} (known modes: {known})")


def load_handler(route: Route) -> Callable[..., object]:
    """Import the route's handler: a callable taking the `plugin.context.Context`."""
    module_name, _, function = route.target.partition(":")
    return getattr(importlib.import_module(module_name), function)
