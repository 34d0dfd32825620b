"""The queue maintenance tasks: Retry Failed, Clear Queue, Clear Failed, Purge Old Failed.

No worker lock: Stash runs tasks one at a time, and each change here is one SQLite
transaction whose effect on a worker in flight the queue contract defines (a cleared scene's
later outcome call is a no-op; a retried scene is simply queued again). Retry Failed leaves
due work behind, so it applies the wake-up rule like a hook.
"""

from __future__ import annotations

from base.errors import InvocationError
from runtime.context import Context

__all__ = ["clear_failed", "clear_queue", "parse_days", "purge_failed", "retry_failed"]

DEFAULT_PURGE_DAYS = 30.0


def retry_failed(ctx: Context) -> dict[str, object]:
    """Task `retry_failed`: every failed scene back into the queue with fresh attempts, and
    every edit Plex refused before forgotten, so it is sent again (sync_queue.refusals)."""
    from runtime.wakeup import wake_if_due
    from sync_queue.queuedb import FailedList
    from sync_queue.sync_state import SyncStateStore

    with FailedList(ctx.ensure_data_dir()) as failed:
        ids = failed.retry_all()
    with SyncStateStore(ctx.ensure_data_dir()) as state:
        state.forget_refusals()
    ctx.log.info(f"Retry Failed: {len(ids)} scene(s) queued again")
    output: dict[str, object] = {"requeued": len(ids), "scene_ids": ids[:100]}
    woke = wake_if_due(ctx, bool(ids), backoff=False)
    if woke is not None:
        output["wake"] = woke
    return output


def clear_queue(ctx: Context) -> dict[str, object]:
    """Task `clear_queue`: forget all pending scene work (queue and inbox), in flight too,
    including recorded performer/studio/tag/group changes not yet expanded into scenes.

    Pending deletions (`scene_destroy`) stay: they only clean up after scenes Stash deleted.
    """
    from sync_queue.inbox import Inbox
    from sync_queue.workqueue import WorkQueue
    from worker.expand import DESTROY_SUFFIX, ENTITY_KINDS

    data_dir = ctx.ensure_data_dir()
    with Inbox(data_dir) as inbox:
        from_inbox = 0
        for kind in ("scene", *ENTITY_KINDS, *(k + DESTROY_SUFFIX for k in ENTITY_KINDS)):
            from_inbox += inbox.drop(kind, sorted(inbox.pending_ids(kind)))
        with WorkQueue(data_dir) as queue:
            cleared = queue.clear()
            inbox.publish_queue_due(queue.next_due_at())
    ctx.log.info(
        f"Clear Queue: {cleared} queued scene(s) and {from_inbox} newly recorded change(s) "
        "forgotten; the failed list is unchanged"
    )
    return {"cleared": cleared, "cleared_from_inbox": from_inbox}


def clear_failed(ctx: Context) -> dict[str, object]:
    """Task `clear_failed`: empty the failed list (the scenes are not queued again)."""
    from sync_queue.queuedb import FailedList

    with FailedList(ctx.ensure_data_dir()) as failed:
        cleared = failed.clear()
    ctx.log.info(f"Clear Failed: {cleared} failed scene(s) forgotten")
    return {"cleared": cleared}


def parse_days(raw: object) -> float:
    """The `days` argument (a string from defaultArgs, or a number via runPluginTask)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_PURGE_DAYS
    try:
        days = float(raw) if not isinstance(raw, bool) else float("nan")
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond a float
        days = float("nan")
    if not days >= 0 or days == float("inf"):
        shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:39] + "…"
        raise InvocationError(f"Purge Old Failed: days must be a number of days ≥ 0, not {shown}")
    return days


def purge_failed(ctx: Context) -> dict[str, object]:
    """Task `purge_failed`: drop failed entries whose last failure is older than `days`."""
    from sync_queue.queuedb import FailedList

    days = parse_days(ctx.invocation.args.get("days"))
    with FailedList(ctx.ensure_data_dir()) as failed:
        purged = failed.purge_older_than(days)
        left = failed.count()
    ctx.log.info(
        f"Purge Old Failed: {purged} entr{'y' if purged == 1 else 'ies'} older than "
        f"{days:g} days removed; {left} left"
    )
    return {"purged": purged, "days": days, "remaining": left}
