"""The reconciliation section of "View Status": last run, run count and when the next one is due.

Reads `reconciliation_state.json` through the scheduler (no engine, no Plex, no Stash), so the
status task stays cheap. Times are shown as UTC RFC3339 next to the raw epoch values.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from reconciliation.scheduler import (
    INTERVAL_SECONDS,
    STARTUP_MIN_GAP_S,
    ReconciliationScheduler,
    decide_run,
    normalize_interval,
    scope_for,
)

__all__ = ["reconciliation_status", "status_lines"]


def _iso(epoch: float) -> str | None:
    if epoch <= 0:
        return None
    try:
        moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def reconciliation_status(
    data_dir: str | os.PathLike[str],
    config: Any = None,
    *,
    now: float | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """The history document. With `config`, also the automatic schedule and what is due."""
    moment = time.time() if now is None else now
    state = ReconciliationScheduler(data_dir, warn=warn).load_state()
    by_type = dict(state.last_gaps_by_type)
    status: dict[str, object] = {
        "run_count": state.run_count,
        "last_run": _iso(state.last_run_time),
        "last_run_time": state.last_run_time,
        "last_run_scope": state.last_run_scope or None,
        "last_run_was_startup": state.is_startup_run,
        "last_gaps_found": state.last_gaps_found,
        "last_gaps_by_type": by_type,
        "last_enqueued": state.last_enqueued,
        "last_scenes_checked": state.last_scenes_checked,
        "last_interval_run": _iso(state.last_interval_run_time),
    }
    if config is None:
        return status
    interval = normalize_interval(config)
    status["interval"] = interval
    if interval == "never":
        status["next_due"] = "never (reconcile_interval is never)"
        return status
    decision = decide_run(config, state, moment)
    status["scope"] = scope_for(config)
    if decision is not None:
        status["next_due"] = f"now: {decision.reason}"
        return status
    last_interval = state.last_interval_run_time
    if not state.is_startup_run:
        last_interval = max(last_interval, state.last_run_time)
    next_interval = last_interval + INTERVAL_SECONDS[interval]
    next_startup = state.last_run_time + STARTUP_MIN_GAP_S
    status["next_interval_run"] = _iso(next_interval)
    status["next_startup_run"] = _iso(next_startup)
    status["next_due"] = _iso(min(next_interval, next_startup))
    return status


def status_lines(status: dict[str, object]) -> list[str]:
    """One or two log lines for the status task."""
    if not status.get("run_count"):
        head = "Reconciliation: never run."
    else:
        by_type = status.get("last_gaps_by_type") or {}
        kinds = ", ".join(f"{k} {v}" for k, v in by_type.items()) if by_type else "none"  # type: ignore[union-attr]
        kind = "startup" if status.get("last_run_was_startup") else "interval/manual"
        head = (
            f"Reconciliation: {status['run_count']} run(s); last {status['last_run']} "
            f"({status['last_run_scope']}, {kind}): {status['last_scenes_checked']} scene(s) "
            f"checked, {status['last_gaps_found']} gap(s) ({kinds}), "
            f"{status['last_enqueued']} queued."
        )
    lines = [head]
    if "next_due" in status:
        lines.append(f"Next automatic reconciliation: {status['next_due']}.")
    return lines
