"""Test driver started by the plugin harness in place of Stash2Plex.py (same stdin, env, cwd).

Injects two seams the entry script does not have yet: the settings come from Stash's
`configuration.plugins` through `StashGateway.plugin_settings` (plugin/settings_source.py is
wired by the coordinator), and the reconciliation routes are added to the dispatch table
when it does not list them yet. Everything else is the real plugin: `plugin.app.run`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ROUTES = (
    ("reconcile_all", "reconciliation.tasks:reconcile_all", "Reconcile Library (All)"),
    ("reconcile_recent", "reconciliation.tasks:reconcile_recent", "Reconcile Library (Recent)"),
    (
        "reconcile_7days",
        "reconciliation.tasks:reconcile_7days",
        "Reconcile Library (Last 7 Days)",
    ),
    ("preview_gaps", "reconciliation.tasks:preview_gaps", "Preview Gaps"),
)


def _settings(ctx: object) -> Mapping[str, object]:
    from stash.client import StashGateway

    conn = ctx.invocation.server_connection  # type: ignore[attr-defined]
    with StashGateway.from_server_connection(conn) as gateway:
        return gateway.plugin_settings()


def _add_routes() -> None:
    from plugin import dispatch

    known = {route.key for route in dispatch.task_routes()}
    extra = tuple(
        dispatch.Route(dispatch.TASK, mode, target, name, name)
        for mode, target, name in ROUTES
        if mode not in known
    )
    dispatch.ROUTES = (*dispatch.ROUTES, *extra)


def main() -> int:
    from plugin.app import run

    _add_routes()
    raw = sys.stdin.buffer.read()
    return run(
        raw,
        plugin_dir=REPO,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr.buffer,
        settings_source=_settings,
        ensure_deps=lambda ctx: None,
    )


if __name__ == "__main__":
    sys.exit(main())
