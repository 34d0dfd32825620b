"""The worker's tasks: Process Queue, Sync All Scenes, Sync Recent Scenes (24 h).

Each is one worker run (`worker.loop.run_worker`) under the worker lock; the two sync tasks
first enqueue their scenes (paged `findScenes` with only `id updated_at`, 1,000 per page,
stable `id` order) and then drain exactly like Process Queue, so the progress bar, the
time slice, the circuit and the summary are the same for all three.

Sync Recent: Stash compares `updated_at` criteria as strings against text stored in the
server's local offset (reference/stash.md §7.3), so the query asks for a window one day
wider than 24 h (covers every offset: `base.stash_time.text_lower_bound` without an offset)
and the scenes are filtered here by their parsed instant. The offset the catch-up learns is
not used here on purpose: rows stored before a daylight-saving change keep their old offset,
and a day of margin on a 24 h window costs little.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from base.stash_time import text_lower_bound
from base.timestamps import parse_rfc3339
from runtime import voice
from runtime.context import Context
from runtime.wakeup import WORKER_TASK_NAME
from worker.loop import WorkerRun, run_worker

__all__ = [
    "RECENT_WINDOW_S",
    "SYNC_ALL_TASK",
    "SYNC_RECENT_TASK",
    "process_queue",
    "recent_filter",
    "sync_all",
    "sync_recent",
]

SYNC_ALL_TASK = "Sync All Scenes"
SYNC_RECENT_TASK = "Sync Recent Scenes (24 h)"
RECENT_WINDOW_S = 86400.0
_PAGE = 1000
_ID_FRAGMENT = "id updated_at"


def process_queue(ctx: Context) -> dict[str, object]:
    """Task `process_queue` ("Stash2Plex: Process Queue"): drain what is due."""
    return run_worker(ctx, task=WORKER_TASK_NAME)


def sync_all(ctx: Context) -> dict[str, object]:
    """Task `sync_all`: queue every scene of Stash, then drain."""
    return run_worker(ctx, prepare=lambda run: _enqueue(run, None, None), task=SYNC_ALL_TASK)


def sync_recent(ctx: Context) -> dict[str, object]:
    """Task `sync_recent`: queue the scenes updated in the last 24 h, then drain."""

    def prepare(run: WorkerRun) -> int:
        cutoff = run.clock() - RECENT_WINDOW_S
        return _enqueue(run, recent_filter(cutoff), lambda scene: _updated_since(scene, cutoff))

    return run_worker(ctx, prepare=prepare, task=SYNC_RECENT_TASK)


def recent_filter(cutoff: float) -> dict[str, object]:
    """The `SceneFilterType` asking Stash for (at least) the scenes updated since `cutoff`."""
    loose = text_lower_bound(cutoff, None)
    return {"updated_at": {"value": loose, "modifier": "GREATER_THAN"}}


def _updated_since(scene: Mapping[str, Any], cutoff: float) -> bool:
    updated = parse_rfc3339(scene.get("updated_at"))
    return updated is not None and updated >= cutoff


def _enqueue(
    run: WorkerRun,
    scene_filter: Mapping[str, object] | None,
    keep: Callable[[Mapping[str, Any]], bool] | None,
) -> int:
    """Queue the matching scenes' ids page by page; returns how many became pending."""
    ids: list[int] = []
    seen = 0
    for scene in run.stash.iter_scenes(scene_filter, per_page=_PAGE, fragment=_ID_FRAGMENT):
        seen += 1
        if keep is None or keep(scene):
            try:
                ids.append(int(scene["id"]))
            except (KeyError, TypeError, ValueError):
                continue
    added = run.add_scenes(ids)
    run.log.info(
        voice.line(
            f"{run.summary.task}: {len(ids)} scene(s) selected of {seen} read; "
            f"{added} newly queued (the others were queued already)"
        )
    )
    return added
