"""The one way to open Plex: prepare plexapi's environment, then import and build the client.

plexapi reads its `PLEXAPI_*` variables once, at import (plex/env.py), so nothing may import
`plex.client` before `prepare_plexapi_env` ran; `open_plex` does both in that order. Its own
module because `plex.client` imports `plex.env`: importing the client from there would be a
cycle. Importing this module imports no plexapi.
"""

from __future__ import annotations

import os
from typing import Any

from plex.env import prepare_plexapi_env

TYPE_CHECKING = False
if TYPE_CHECKING:
    from plex.client import PlexClient
    from stash.log import StashLog

__all__ = ["open_plex"]


def open_plex(
    config: object,
    data_dir: str | os.PathLike[str],
    *,
    log: StashLog | None = None,
    **kwargs: Any,
) -> PlexClient:
    """A `PlexClient` from the plugin config (`PlexClient.from_config`: plex_url, plex_token,
    timeouts, TLS, write delay), with the data folder's client identity. Not connected yet:
    `client.connect()` (or the first request) reaches Plex.

    With a `log`, the token is registered with its redactor first, so no line can print it.
    `kwargs` go to `PlexClient` (clock, sleep, …). Raises `ConfigError` when plex_url or
    plex_token is unusable.
    """
    prepare_plexapi_env(data_dir)
    from plex.client import PlexClient

    if log is not None:
        log.add_secret(getattr(config, "plex_token", None))
    return PlexClient.from_config(config, data_dir, **kwargs)
