"""Automatic reconciliation inside the worker: perform the run the scheduler says is due.

Called by the worker ("Process Queue") under its lock, before it drains the inbox, never by
a hook (a hook only asks the scheduler and wakes the worker). The engine queues into the
hook `Inbox`, which the worker drains right after, and the run is recorded with the
decision's `is_startup` and start time (so a daily run does not drift by its own length).
A run that cannot start (Stash unreachable) is not recorded: the next invocation retries.
Any other task asks `reconciliation_due` and hands the answer to `runtime.wakeup.wake_if_due`:
a due run only wakes the worker, which performs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from base.errors import Stash2PlexError
from reconciliation.scheduler import ReconciliationScheduler, RunDecision
from runtime.context import Context

__all__ = ["reconciliation_due", "run_due_reconciliation"]


def run_due_reconciliation(
    ctx: Context,
    config: Any,
    *,
    now: float,
    stash_factory: Callable[[Context], Any] | None = None,
) -> RunDecision | None:
    """The due automatic run (None when none is due), after performing and recording it."""
    scheduler = ReconciliationScheduler(ctx.data_dir, warn=ctx.log.warning)
    decision = scheduler.decide(config, now)
    if decision is None:
        return None
    from reconciliation.engine import GapDetectionEngine
    from runtime.stash import open_stash
    from sync_queue.inbox import Inbox

    ctx.log.info(f"Reconciliation due ({decision.reason}): checking scope {decision.scope}")
    try:
        stash = (stash_factory or open_stash)(ctx)
    except Stash2PlexError as exc:
        ctx.log.warning(f"Reconciliation skipped, Stash unavailable: {exc}; retried next run")
        return decision
    try:
        with Inbox(ctx.data_dir) as inbox:
            engine = GapDetectionEngine(
                stash, config, ctx.data_dir, queue=inbox, clock=lambda: decision.now
            )
            result = engine.run(decision.scope)
    finally:
        close = getattr(stash, "close", None)
        if callable(close):
            close()
    scheduler.record_run(decision.scope, result, is_startup=decision.is_startup, now=decision.now)
    for line in result.summary_lines():
        ctx.log.log("warning" if line.startswith("Incomplete:") else "info", line)
    return decision


def reconciliation_due(ctx: Context, config: Any, *, now: float | None = None) -> bool:
    """Is an automatic run due (a JSON read; none with `never`)? The caller wakes the worker
    with `runtime.wakeup.wake_if_due`; this never runs the reconciliation itself."""
    scheduler = ReconciliationScheduler(ctx.data_dir, warn=ctx.log.warning)
    return scheduler.decide(config, now) is not None
