"""Scenes of a batch written on a bounded pool of threads, outcomes handed back one by one
(issue 20, SPEC §10).

`ParallelWrites.run` keeps at most `min(threads, limit.limit)` scenes in progress, one scene
per thread at a time, in the batch's order; each finished scene is handed to `done` in the
calling thread (completion order), which may stop the batch: nothing new starts, the scenes in
progress finish. With one thread everything runs inline, exactly as the sequential plugin did.

Outage events: a scene failing for an outage while another failure already opened an event
since it started was in flight with that failure: `outage_event` says it is part of that
event, not a new one (the run's outage streak counts events, `worker.outcomes.OutageStreak`).
Scenes run one at a time always start after the last event, so each failure is its own event.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Generic, TypeVar

from plex.pacing import AdaptiveLimit
from worker.cover_budget import CoverBudget

__all__ = ["ParallelWrites"]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
V = TypeVar("V")

# (key, result or None, error or None, epoch the job started in) → stop the batch?
Done = Callable[[K, R | None, BaseException | None, int], bool]


class ParallelWrites(Generic[K, R]):
    """The run's pool (threads = `plex_parallel_writes`), shared by its batches."""

    def __init__(self, threads: int, limit: AdaptiveLimit, budget: CoverBudget) -> None:
        self.threads = max(1, int(threads))
        self.limit = limit
        self.budget = budget
        self.epoch = 0  # outage events opened so far in the run
        self.submitted = 0  # jobs started so far in the run
        self._order: dict[K, int] = {}  # key -> its job's start number (this batch)
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="stash2plex-write")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def outage_event(self, started: int) -> bool:
        """A job started in epoch `started` failed for an outage: True when that opens a new
        event (nothing failed since it started), False when it joins the last one."""
        if started < self.epoch:
            return False
        self.epoch += 1
        return True

    def started_since(self, key: K, mark: int) -> bool:
        """Did `key`'s job start after `mark` jobs had started (`submitted` read earlier)?"""
        return self._order.get(key, mark) >= mark

    def _start(self, key: K) -> None:
        self._order[key] = self.submitted
        self.submitted += 1

    def _job(self, work: Callable[[], R]) -> R:
        try:
            return work()
        finally:
            self.budget.release()  # the scene's cover is no longer held

    def run(self, jobs: Iterable[tuple[K, Callable[[], R]]], done: Done[K, R]) -> None:
        """Run `jobs` in order, at most the limit at a time; `done` for each finished one."""
        pending = list(jobs)
        self._order.clear()
        if self.threads == 1:
            for key, work in pending:
                started = self.epoch
                self._start(key)
                try:
                    result = self._job(work)
                except BaseException as exc:  # handed over like a thread's exception
                    if not isinstance(exc, Exception):
                        raise
                    if done(key, None, exc, started):
                        return
                else:
                    if done(key, result, None, started):
                        return
            return
        running: dict[Future[R], tuple[K, int]] = {}
        stopped = False
        pending.reverse()
        try:
            while pending or running:
                while (
                    pending and not stopped and len(running) < min(self.threads, self.limit.limit)
                ):
                    key, work = pending.pop()
                    self._start(key)
                    running[self._executor().submit(self._job, work)] = (key, self.epoch)
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    key, started = running.pop(future)
                    error = future.exception()
                    result = None if error is not None else future.result()
                    if done(key, result, error, started):
                        stopped = True
        finally:
            if running:  # an exception in `done`: never leave a write running behind us
                wait(list(running))

    def map_ordered(self, work: Callable[[V], Mapping[K, R]], chunks: list[V]) -> dict[K, R]:
        """`work` over `chunks` in parallel (reads: item fetches), merged in chunk order; the
        first chunk's error (in order) is raised after every chunk finished."""
        if self.threads == 1 or len(chunks) < 2:
            merged: dict[K, R] = {}
            for chunk in chunks:
                merged.update(work(chunk))
            return merged
        futures = [self._executor().submit(work, chunk) for chunk in chunks]
        wait(futures)
        merged = {}
        for future in futures:
            merged.update(future.result())  # raises the first failed chunk's error
        return merged
