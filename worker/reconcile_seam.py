"""Seam: automatic reconciliation at the start of a worker run (SPEC §3 policy, issue 6).

The worker asks the scheduler whether a run is due and would run the GapDetectionEngine
first. The engine does not exist yet: a due run is only logged, and deliberately NOT
recorded (recording it would pretend the library was checked). The reconciliation issue
replaces `run_due_reconciliation`'s body; its callers stay as they are.
"""

from __future__ import annotations

from plugin.context import Context
from reconciliation.scheduler import ReconciliationScheduler, RunDecision
from validation.config import Stash2PlexConfig

__all__ = ["ENGINE_MISSING", "run_due_reconciliation"]

ENGINE_MISSING = "the reconciliation engine is not available yet; skipped (not recorded)"


def run_due_reconciliation(
    ctx: Context, config: Stash2PlexConfig, *, now: float
) -> RunDecision | None:
    """The due automatic run per the scheduler (None when none is due), after running it.

    Today: logs that the engine is missing and returns the decision unrecorded.
    """
    decision = ReconciliationScheduler(ctx.data_dir, warn=ctx.log.warning).decide(config, now)
    if decision is not None:
        ctx.log.info(f"Reconciliation due ({decision.reason}): {ENGINE_MISSING}")
    return decision
