"""Task "Pull Plex Activity" (`pull_activity`): plays, resume points and ratings from Plex.

A worker run (`worker.loop.run_worker`) under the worker lock whose pull runs even when it
would not at the start of Process Queue, so a scene whose rating Stash wins is pushed back to
Plex in the same run. Stash has no scheduler for plugin tasks: README shows the cron line.
"""

from __future__ import annotations

from runtime.context import Context
from worker.loop import run_worker
from worker.pull import PULL_TASK

__all__ = ["PULL_TASK", "pull_activity"]


def pull_activity(ctx: Context) -> dict[str, object]:
    """Task `pull_activity`: one pull, then the queue drained like Process Queue."""
    return run_worker(ctx, task=PULL_TASK)
