"""Plex-side task handlers: "Unlock Plex Fields" (`unlock_fields`).

Task path (opens Plex with `plex.opener.open_plex`, which prepares plexapi's environment first).
Plex unreachable or a rejected token ends the task with one clear error line; nothing in the
data folder changes.
"""

from __future__ import annotations

from runtime.context import Context

__all__ = ["UNLOCK_TASK", "run_unlock_fields"]

UNLOCK_TASK = "Unlock Plex Fields"


def run_unlock_fields(ctx: Context) -> dict[str, object]:
    """Remove every field lock Stash2Plex set on the Plex items it wrote."""
    from plex.opener import open_plex

    config = ctx.config()
    data_dir = ctx.ensure_data_dir()
    # First: plex.unlock imports plexapi (through plex.errors), which must find its
    # environment prepared.
    with open_plex(config, data_dir, log=ctx.log) as client:
        from plex.unlock import unlock_fields
        from sync_queue.sync_state import SyncStateStore

        with SyncStateStore(data_dir) as store:
            states = list(store.get_many(store.sync_timestamps()).values())
            owned = store.collections.owned()
        ctx.log.info(f"{UNLOCK_TASK}: {len(states)} scene(s) in the sync state")
        report = unlock_fields(client, states, progress=ctx.progress)
        from plex.collection_unlock import unlock_collections
        from plex.collections import PlexCollections

        collections, requests, failures = unlock_collections(PlexCollections(client), owned)
        report.requests += requests
        report.failures += failures
    summary: dict[str, object] = {
        "task": UNLOCK_TASK,
        "scenes": report.scenes,
        "items": report.items,
        "unlocked": len(report.unlocked),
        "collections_unlocked": collections,
        "gone_from_plex": len(report.gone),
        "plex_requests": report.requests,
        "failures": report.failures[:20],
    }
    ctx.log.info(
        f"{UNLOCK_TASK}: unlocked {len(report.unlocked)} Plex item(s) of {report.scenes} "
        f"scene(s) and {collections} collection(s) in {report.requests} request(s); "
        f"{len(report.gone)} item(s) no longer in Plex"
    )
    for line in report.failures[:20]:
        ctx.log.warning(f"{UNLOCK_TASK}: not unlocked: {line}")
    if report.failures:
        ctx.log.warning(f"{UNLOCK_TASK}: {len(report.failures)} request(s) failed; run it again")
    return summary
