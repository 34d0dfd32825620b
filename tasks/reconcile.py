"""The reconciliation tasks (SPEC §4): Reconcile Library (All / Recent / Last 7 Days), Preview Gaps.

Reconcile tasks run the engine with the hook `Inbox` as their queue: any process may write
it without the worker lock, and the worker moves it into its own queue when it starts. The
run is recorded as a non-startup run, then "Stash2Plex: Process Queue" is requested by the
wake-up rule (SPEC §2.2), so the queued work is processed as its own Stash job (progress bar,
Stop button) right after this task. Preview Gaps is a dry run: nothing queued, nothing
recorded. Handlers take the `runtime.context.Context` and return the task's output document.
"""

from __future__ import annotations

import time
from typing import Any

from reconciliation.engine import GapDetectionEngine
from reconciliation.result import GapDetectionResult
from runtime import voice
from runtime.context import Context
from runtime.stash import open_stash

__all__ = [
    "GAP_WORDS",
    "PREVIEW_LIMIT",
    "RECONCILE_SCOPES",
    "gap_lines",
    "preview_gaps",
    "reconcile_7days",
    "reconcile_all",
    "reconcile_recent",
    "run_reconcile",
]

RECONCILE_SCOPES = {
    "reconcile_all": "all",
    "reconcile_recent": "recent",
    "reconcile_7days": "recent_7days",
}
PREVIEW_LIMIT = 20


def _close(stash: Any) -> None:
    close = getattr(stash, "close", None)
    if callable(close):
        close()


def _run_engine(ctx: Context, scope: str, queue: Any) -> GapDetectionResult:
    config = ctx.config()
    data_dir = ctx.ensure_data_dir()
    stash = open_stash(ctx)
    try:
        # Reconcile Library (All), run by hand, trusts no incremental index refresh: it reads
        # Plex's whole listing (docs/reconciliation.md).
        engine = GapDetectionEngine(
            stash,
            config,
            data_dir,
            queue=queue,
            progress=ctx.progress,
            full_listing=scope == "all",
        )
        return engine.run(scope)
    finally:
        _close(stash)


# Each gap type in words: what the scenes have in common, and what the queue will do.
GAP_WORDS = {
    "empty_metadata": "Plex item without metadata",
    "stale_sync": "edited in Stash since the last push",
    "missing": "never pushed and not found in Plex",
    "drift": "what Plex should show changed in Stash",
    "plex_drift": "edited in Plex since the last push",
}


def _log_summary(ctx: Context, result: GapDetectionResult) -> None:
    for line in result.summary_lines():
        level = "warning" if line.startswith("Incomplete:") else "info"
        ctx.log.log(level, voice.line(line))


def gap_lines(result: GapDetectionResult) -> list[str]:
    """The gaps found, one line per type: the count (of every gap, kept or not) and a few
    scenes by id and title, e.g. `40 scenes never pushed and not found in Plex: e.g. 41
    "Title", 57`."""
    lines = []
    for gap_type, count in result.by_type.items():
        if not count:
            continue
        refs = [
            voice.scene_ref(gap.scene_id, gap.scene_data.get("title"))
            for gap in result.gaps
            if gap.gap_type == gap_type
        ][: voice.EXAMPLES]
        words = GAP_WORDS.get(gap_type, gap_type.replace("_", " "))
        head = f"{voice.plural(count, 'scene')} {words}"
        room = voice.INFO_LIMIT - len(head) - len(": e.g. ")
        shown = voice.scene_refs(refs, room)
        lines.append(voice.line(f"{head}: e.g. {shown}" if shown else head))
    return lines


def run_reconcile(ctx: Context, scope: str) -> dict[str, object]:
    """Run, record (non-startup), then ask for "Process Queue" when work is due."""
    from reconciliation.scheduler import ReconciliationScheduler
    from sync_queue.inbox import Inbox

    started = time.time()
    data_dir = ctx.ensure_data_dir()
    with Inbox(data_dir) as inbox:
        result = _run_engine(ctx, scope, inbox)
        due = inbox.has_due()
    ReconciliationScheduler(data_dir, warn=ctx.log.warning).record_run(
        result.scope, result, is_startup=False, now=started
    )
    _log_summary(ctx, result)
    output = result.to_dict()
    output["worker"] = _wake(ctx, due)
    return output


def _wake(ctx: Context, due: bool) -> str:
    """The wake-up rule, as hooks apply it (same blockers: paused, not set up, circuit open).
    Called with no database transaction open: starting a task can make Stash run hooks."""
    from runtime.wakeup import NOT_STARTED, wake_if_due

    # backoff=False: a hook's failed request moments ago (Stash slow under a burst of hooks)
    # must not leave every gap this run queued waiting for some later invocation.
    woke = wake_if_due(ctx, due, backoff=False)
    if woke is None:
        return "not needed"
    if woke.startswith(NOT_STARTED):
        blocker = woke.partition(": ")[2]
        ctx.log.info(f"'Stash2Plex: Process Queue' not started ({blocker}); the work is queued.")
    return woke


def reconcile_all(ctx: Context) -> dict[str, object]:
    """Task `reconcile_all`: every scene."""
    return run_reconcile(ctx, RECONCILE_SCOPES["reconcile_all"])


def reconcile_recent(ctx: Context) -> dict[str, object]:
    """Task `reconcile_recent`: scenes updated in the last 24 hours."""
    return run_reconcile(ctx, RECONCILE_SCOPES["reconcile_recent"])


def reconcile_7days(ctx: Context) -> dict[str, object]:
    """Task `reconcile_7days`: scenes updated in the last 7 days."""
    return run_reconcile(ctx, RECONCILE_SCOPES["reconcile_7days"])


def _limit(ctx: Context) -> int:
    raw = ctx.invocation.args.get("limit") if isinstance(ctx.invocation.args, dict) else None
    try:
        value = int(str(raw).strip()) if raw not in (None, "") else PREVIEW_LIMIT
    except ValueError:
        value = PREVIEW_LIMIT
    return value if value > 0 else PREVIEW_LIMIT


def preview_gaps(ctx: Context) -> dict[str, object]:
    """Task `preview_gaps`: a dry run over every scene; the first gaps with their reasons and
    the totals by type (logged as one line per type naming a few scenes; each gap's reason
    at debug). Nothing is queued and the run is not recorded."""
    limit = _limit(ctx)
    result = _run_engine(ctx, "all", None)
    _log_summary(ctx, result)
    for line in gap_lines(result):
        ctx.log.info(line)
    for gap in result.preview(limit):  # details (paths, timestamps) for whoever debugs
        ctx.log.debug(f"Gap: scene {gap['scene_id']} {gap['gap_type']}: {gap['reason']}")
    output = result.to_dict(gap_limit=limit)
    from reconciliation.auto import reconciliation_due
    from runtime.wakeup import wake_if_due

    # Not a run of its own: an automatic run that is due is still the worker's to perform.
    due = reconciliation_due(ctx, ctx.config())
    output["worker"] = wake_if_due(ctx, due, backoff=False) or "not needed"
    return output
