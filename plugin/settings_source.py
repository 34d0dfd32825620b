"""Seam: where a task gets the plugin's stored settings map from Stash.

The settings live only in Stash (`configuration { plugins(include: ["Stash2Plex"]) }`,
reference/stash.md §4); stdin carries none. The GraphQL access package (`stash/`) provides
the real reader; the coordinator wires it here. It receives the handler's Context, so it can
build its client from `ctx.invocation.server_connection` and register the secrets it learns
(ApiKey) with `ctx.log`. Tests pass their own callable to `plugin.app.run(settings_source=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping

from plugin.errors import StashUnavailable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from plugin.context import Context

__all__ = ["fetch_settings"]


def fetch_settings(ctx: Context) -> Mapping[str, object]:
    """The stored settings of this plugin (`{}` when never saved). Raises StashError."""
    raise StashUnavailable("reading the plugin settings from Stash is not wired up yet")
