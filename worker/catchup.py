"""The catch-up at the start of every worker run: queue the scenes whose `updated_at` moved
since the last look and differs from the one synced (changes that fired no hook).

Stash changes scenes without any hook (Auto Tag, scene merge: docs/reconciliation.md, "Which
Stash changes fire hooks"); they all bump `updated_at`. One paged `findScenes` sorted on
`updated_at` descending, filtered `updated_at GREATER_THAN` the watermark minus a margin
(`base.stash_time.text_lower_bound`: seconds when the server's offset is learned, a day when
not), fragment `id updated_at`: one request, plus one per further page of scenes within the
margin. The selection (`sync_queue.watermark.changed_scenes`) and the watermark's move are
pure; this module only asks Stash and stores. First run (no watermark): the watermark is
set and nothing is queued (Sync All pushes the whole library).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from base.fileio import atomic_write_bytes
from base.stash_time import KNOWN_OFFSET_MARGIN_S, text_lower_bound
from runtime import voice
from runtime.wakeup import NONE_WAITING, REQUESTED, wake_worker
from stash.log import StashLog
from sync_queue.sync_state import SyncStateStore
from sync_queue.watermark import (
    Watermark,
    advance,
    changed_scenes,
    load_watermark,
    save_watermark,
)
from sync_queue.workqueue import WorkQueue

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.context import Context

__all__ = [
    "AFTER_OTHERS_FILE",
    "CATCH_UP_FRAGMENT",
    "CATCH_UP_PAGE",
    "CatchUp",
    "ask_after_others",
    "catch_up_between_runs",
    "catch_up_filter",
    "mark_after_others",
    "queue_changes",
    "run_catch_up",
    "take_after_others",
]

CATCH_UP_FRAGMENT = "id updated_at"
CATCH_UP_PAGE = 1000
# Written by a run that asked for one more run behind other waiting jobs; the next worker
# run takes it (under the worker lock) and so knows it is that run.
AFTER_OTHERS_FILE = "after_others_requested"


@dataclass
class CatchUp:
    """What one catch-up found: requests sent, scenes read, ids selected, first run or not,
    and the watermark to store once the selected ids are queued (`commit`)."""

    requests: int = 0
    read: int = 0
    selected: list[int] = field(default_factory=list)
    first_run: bool = False
    before: Watermark | None = None
    after: Watermark | None = None

    def commit(self, data_dir: str | os.PathLike[str]) -> None:
        """Store the moved watermark: only after queueing, so a failure between the two
        reads the same window again instead of losing the changes."""
        if self.after is not None and self.after != self.before:
            save_watermark(data_dir, self.after)


def catch_up_filter(mark: Watermark | None) -> dict[str, object]:
    """The `SceneFilterType` of a catch-up: everything when there is no watermark instant."""
    if mark is None or mark.instant is None:
        return {}
    bound = text_lower_bound(mark.instant, mark.offset_s)
    return {"updated_at": {"value": bound, "modifier": "GREATER_THAN"}}


def run_catch_up(stash: Any, sync_state: SyncStateStore, data_dir: Any) -> CatchUp:
    """Read the changed scenes and pick those to queue; the caller queues `selected`, then
    calls `commit`. Raises the gateway's StashError (nothing stored: the next run reads the
    same window again)."""
    mark = load_watermark(data_dir)
    result = CatchUp(first_run=mark is None, before=mark)
    pages = _pages(stash, catch_up_filter(mark), first_only=mark is None, result=result)
    scenes: list[dict[str, Any]] = []
    for page in pages:
        scenes.extend(page)
        if mark is not None:
            ids = [int(s["id"]) for s in page if str(s.get("id", "")).isdigit()]
            stored = sync_state.get_many(ids)
            synced = {sid: (st.updated_at, st.updated_at_epoch) for sid, st in stored.items()}
            result.selected += changed_scenes(page, synced, mark, KNOWN_OFFSET_MARGIN_S)
    result.read = len(scenes)
    result.after = advance(mark, scenes, KNOWN_OFFSET_MARGIN_S)
    return result


def queue_changes(
    stash: Any, sync_state: SyncStateStore, queue: WorkQueue, data_dir: Any, log: StashLog
) -> tuple[CatchUp, list[int]]:
    """One catch-up: the changed scenes queued (those already queued keep their row, so a
    waiting or retried scene keeps its delay), then the watermark stored; returns what was
    found and the ids newly queued. Raises the gateway's StashError."""
    found = run_catch_up(stash, sync_state, data_dir)
    if found.first_run:
        log.info(
            "First run: changes made from now on without a hook (Auto Tag, scene merge) "
            "are caught up by every run; run 'Sync All Scenes' once to push the whole library"
        )
    queued = queue.get_queued_scene_ids()
    fresh = [sid for sid in dict.fromkeys(found.selected) if sid not in queued]
    if fresh:
        queue.add_many(fresh)
    found.commit(data_dir)
    if fresh:
        log.info(
            voice.line(
                f"{voice.plural(len(fresh), 'scene')} changed in Stash without a hook "
                "(e.g. by Auto Tag or a scene merge) since the last run: queued"
            )
        )
    return found, fresh


def _pages(
    stash: Any, scene_filter: dict[str, object], *, first_only: bool, result: CatchUp
) -> Iterable[list[dict[str, Any]]]:
    page = 1
    while True:
        result.requests += 1
        count, scenes = stash.find_scenes_page(
            page,
            CATCH_UP_PAGE,
            scene_filter,
            sort="updated_at",
            direction="DESC",
            fragment=CATCH_UP_FRAGMENT,
        )
        yield scenes
        if first_only or len(scenes) < CATCH_UP_PAGE or page * CATCH_UP_PAGE >= count:
            return
        page += 1


def mark_after_others(data_dir: str | os.PathLike[str]) -> None:
    atomic_write_bytes(os.path.join(os.fspath(data_dir), AFTER_OTHERS_FILE), b"requested\n")


def take_after_others(data_dir: str | os.PathLike[str]) -> bool:
    """True (once) when the previous run asked for this one to run after other jobs."""
    try:
        os.remove(os.path.join(os.fspath(data_dir), AFTER_OTHERS_FILE))
    except FileNotFoundError:
        return False
    return True


def ask_after_others(
    data_dir: str | os.PathLike[str],
    server_connection: Mapping[str, object],
    log: StashLog,
    now: float,
    plugin_dir: str | os.PathLike[str] | None = None,
) -> str:
    """At a run's end: other jobs waiting in Stash's queue (an Auto Tag queued during a scan)
    may change scenes without a hook after we end, so one more run of ours is requested
    behind them, unless one of ours already waits there (docs/worker.md, amendment of SPEC
    §2.2). Returns what asking did, "" when no other job waits."""
    result = wake_worker(
        data_dir,
        server_connection,
        log,
        now=now,
        use_marker=False,
        after_others=True,
        plugin_dir=plugin_dir,
    )
    if result == REQUESTED:
        # Safe after the request: Stash runs one job at a time and ours still runs.
        mark_after_others(data_dir)
    return "" if result == NONE_WAITING else result


def catch_up_between_runs(ctx: Context) -> str | None:
    """After a maintenance task (View Status, Retry Failed, Clear Failed, Purge Old Failed):
    the same catch-up as a worker run, so a change made while nothing of ours ran (Auto Tag
    an hour after the scan) reaches Plex without waiting for an edit. Scenes it queues wake
    the worker; returns what waking did, None when nothing was queued or the catch-up was
    skipped: a worker holding the lock does it itself, and Plex not set up or `paused` leave
    it to the run that follows. Never raises: the task has done its work."""
    from base.errors import Stash2PlexError
    from runtime.stash import connect_stash
    from runtime.wakeup import wake_blocker, wake_if_due
    from sync_queue.lock import worker_lock

    snapshot = ctx.snapshot()
    if wake_blocker(ctx.data_dir, snapshot) is not None:
        return None
    lock = worker_lock(ctx.ensure_data_dir())
    if not lock.acquire():
        return None
    try:
        stash = connect_stash(ctx)
        try:
            with SyncStateStore(ctx.data_dir) as sync_state, WorkQueue(ctx.data_dir) as queue:
                _, fresh = queue_changes(stash, sync_state, queue, ctx.data_dir, ctx.log)
        finally:
            stash.close()
    except Stash2PlexError as exc:
        ctx.log.debug(f"catch-up after the task skipped: {exc}")
        return None
    finally:
        lock.release()
    return wake_if_due(ctx, bool(fresh), backoff=False, snapshot=snapshot)
