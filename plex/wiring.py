"""Builds the production Plex step for a worker run (the worker's step factory calls this).

plexapi reads its environment once, at import, so `prepare_plexapi_env` runs here before
anything importing plexapi (`plex.client`, `plex.step`) is imported. Nothing connects yet: the
first request is the batch's own (a previously synced scene costs a fetch and an edit).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from plex.step import PlexSyncStep
    from worker.plex_step import StepContext

__all__ = ["build_plex_step"]


def build_plex_step(ctx: StepContext) -> PlexSyncStep:
    """The real `PlexStep` for one worker run, from the run's settings and services."""
    from plex.env import prepare_plexapi_env

    prepare_plexapi_env(ctx.data_dir)

    from plex.client import PlexClient
    from plex.index import PathIndex
    from plex.resolve import TargetResolver, stash_lookup
    from plex.scans import ScanLedger
    from plex.step import PlexSyncStep
    from plex.writer import PlexWriter
    from validation.desired import DesiredOptions

    config = ctx.config
    client = PlexClient.from_config(config, ctx.data_dir)
    ctx.log.add_secret(config.plex_token)
    index = PathIndex(ctx.data_dir, clock=ctx.clock)
    resolver = TargetResolver(
        client,
        index,
        path_map=config.path_mapping,
        library=config.library_names,
        stash=stash_lookup(ctx.stash),
    )
    writer = PlexWriter(
        client, ctx.stash.fetch_image, preserve_plex_edits=config.preserve_plex_edits
    )
    return PlexSyncStep(
        client,
        index,
        resolver,
        writer,
        ScanLedger(ctx.data_dir, clock=ctx.clock),
        options=DesiredOptions.from_config(config),
        skip_plex_scan=config.skip_plex_scan,
        clock=ctx.clock,
    )
