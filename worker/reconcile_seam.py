"""Seam: automatic reconciliation at the start of a worker run (SPEC §3 policy, issue 6).

The worker asks the scheduler whether a run is due and, if so, performs it before it drains
the inbox: `reconciliation.auto.run_due_reconciliation` runs the GapDetectionEngine (its
gaps go into the inbox, which this worker drains right after) and records the run with the
decision's `is_startup` and start time. Hooks never run it; they only wake the worker.
"""

from __future__ import annotations

from plugin.context import Context
from reconciliation.scheduler import RunDecision
from validation.config import Stash2PlexConfig

__all__ = ["run_due_reconciliation"]


def run_due_reconciliation(
    ctx: Context, config: Stash2PlexConfig, *, now: float
) -> RunDecision | None:
    """The due automatic run per the scheduler (None when none is due), after running it."""
    from reconciliation.auto import run_due_reconciliation as perform

    return perform(ctx, config, now=now)
