"""Where a task gets the plugin's stored settings map from Stash: one stdlib GraphQL request.

The settings live only in Stash (`configuration { plugins(include: [<id>]) }`,
reference/stash.md §4), under the plugin's id, which is its manifest's file name
(`runtime.plugin_id`); stdin carries none. Read over `stash.hookcalls` (standard library,
one request) rather than the stashapi gateway, so a task still learns its settings — and
can say what is wrong — when stashapi is broken or missing (reference/stash.md §11.21).
Tests pass their own callable to `plugin.app.run(settings_source=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.context import Context

__all__ = ["SETTINGS_TIMEOUT_S", "fetch_settings"]

# Tasks, not hooks, read settings: a busy Stash (a scan running) may take a while to answer.
SETTINGS_TIMEOUT_S = 15.0


def fetch_settings(ctx: Context) -> Mapping[str, object]:
    """The stored settings of this plugin (`{}` when never saved). Raises StashError."""
    from runtime.plugin_id import plugin_id_of
    from stash.connection import StashEndpoint
    from stash.hookcalls import post_graphql
    from stash.protocol import plugin_settings_of, plugin_settings_query

    endpoint = StashEndpoint.from_server_connection(ctx.invocation.server_connection)
    for secret in endpoint.secrets():
        ctx.log.add_secret(secret)
    plugin_id, guess = plugin_id_of(ctx.plugin_dir)
    if guess is not None:
        ctx.log.debug(f"plugin id: {guess}")
    data = post_graphql(endpoint, plugin_settings_query(plugin_id), timeout=SETTINGS_TIMEOUT_S)
    return plugin_settings_of(data, plugin_id)
