"""In-memory reference implementation of the work queue contract (see sync_queue.jobs).

Written for clarity, not speed: the contract tests run against it and the SQLite queue
alike, the crash tests replay logged operations through it as the model of what the SQLite
queue must hold, and pure worker tests can use it instead of files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sync_queue.jobs import (
    PROCESSING,
    QUEUED,
    FailedEntry,
    Job,
    QueueCounts,
    WorkItem,
    clip_message,
)

__all__ = ["MemFailedList", "MemWorkQueue"]


@dataclass
class _Row:
    state: str
    dirty: bool
    ready_at: float
    first_enqueued_at: float
    attempts: int = 0
    waits: int = 0
    last_error_class: str | None = None
    last_error: str | None = None
    wait_reason: str | None = None
    claimed_at: float | None = None


class MemFailedList:
    """The failed list of a MemWorkQueue."""

    def __init__(self, queue: MemWorkQueue) -> None:
        self._queue = queue
        self._entries: dict[int, FailedEntry] = {}

    def add(
        self,
        scene_id: int,
        reason_class: str,
        message: str,
        attempts: int,
        now: float | None = None,
    ) -> None:
        now = self._queue._now(now)
        old = self._entries.get(scene_id)
        first = now if old is None else old.first_failed_at
        self._entries[scene_id] = FailedEntry(
            scene_id, reason_class, clip_message(message), attempts, first, now
        )

    def list(self, limit: int | None = None) -> list[FailedEntry]:
        ordered = sorted(self._entries.values(), key=lambda e: (-e.last_failed_at, e.scene_id))
        return ordered if limit is None else ordered[:limit]

    def count(self) -> int:
        return len(self._entries)

    def retry_all(self, now: float | None = None) -> list[int]:
        ids = sorted(self._entries)
        self._queue.add_many(ids, now=now)
        self._entries.clear()
        return ids

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count

    def purge_older_than(self, days: float, now: float | None = None) -> int:
        cutoff = self._queue._now(now) - days * 86400.0
        old = [sid for sid, e in self._entries.items() if e.last_failed_at < cutoff]
        for sid in old:
            del self._entries[sid]
        return len(old)

    def discard(self, scene_id: int) -> None:
        self._entries.pop(scene_id, None)


class MemWorkQueue:
    """The workqueue contract over a dict; `clock` supplies `now` when a call omits it."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._rows: dict[int, _Row] = {}
        self._failed = MemFailedList(self)

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else float(now)

    @property
    def failed(self) -> MemFailedList:
        return self._failed

    def add(self, scene_id: int, ready_at: float | None = None, now: float | None = None) -> bool:
        return self.add_many([scene_id], ready_at, now) == 1

    def add_many(
        self, scene_ids: Iterable[int], ready_at: float | None = None, now: float | None = None
    ) -> int:
        now = self._now(now)
        ready = now if ready_at is None else float(ready_at)
        added = 0
        for sid in dict.fromkeys(int(s) for s in scene_ids):
            row = self._rows.get(sid)
            if row is None:
                self._rows[sid] = _Row(QUEUED, True, ready, now)
                added += 1
            elif row.dirty:
                row.ready_at = min(row.ready_at, ready)
            else:  # processing, clean: run once more after done
                row.dirty = True
                row.ready_at = ready
                added += 1
        return added

    def get(self, now: float | None = None) -> Job | None:
        jobs = self.get_batch(1, now)
        return jobs[0] if jobs else None

    def get_batch(self, n: int, now: float | None = None) -> list[Job]:
        now = self._now(now)
        due = sorted(
            (row.ready_at, sid)
            for sid, row in self._rows.items()
            if row.state == QUEUED and row.ready_at <= now
        )
        jobs = []
        for _, sid in due[: max(n, 0)]:
            row = self._rows[sid]
            row.state, row.dirty, row.claimed_at = PROCESSING, False, now
            jobs.append(_job(sid, row))
        return jobs

    def _processing(self, scene_id: int) -> _Row | None:
        row = self._rows.get(scene_id)
        return row if row is not None and row.state == PROCESSING else None

    def done(self, scene_id: int, now: float | None = None) -> bool:
        row = self._processing(scene_id)
        if row is None:
            return False
        self._failed.discard(scene_id)
        if not row.dirty:
            del self._rows[scene_id]
            return False
        fresh = _Row(QUEUED, True, row.ready_at, row.first_enqueued_at)
        self._rows[scene_id] = fresh
        return True

    def retry(
        self,
        scene_id: int,
        delay: float,
        error_class: str,
        message: str,
        now: float | None = None,
    ) -> int | None:
        row = self._processing(scene_id)
        if row is None:
            return None
        self._requeue_after(row, self._now(now) + delay)
        row.attempts += 1
        row.last_error_class, row.last_error = error_class, clip_message(message)
        return row.attempts

    def wait(self, scene_id: int, delay: float, reason: str = "", now: float | None = None) -> bool:
        row = self._processing(scene_id)
        if row is None:
            return False
        self._requeue_after(row, self._now(now) + delay)
        row.waits += 1
        row.wait_reason = clip_message(reason)
        return True

    @staticmethod
    def _requeue_after(row: _Row, at: float) -> None:
        row.ready_at = min(row.ready_at, at) if row.dirty else at
        row.state, row.dirty, row.claimed_at = QUEUED, True, None

    def fail(self, scene_id: int, error_class: str, message: str, now: float | None = None) -> bool:
        row = self._processing(scene_id)
        if row is None:
            return False
        self._failed.add(scene_id, error_class, message, row.attempts + 1, now)
        if row.dirty:  # edited meanwhile: the new state deserves a fresh run
            self._rows[scene_id] = replace(
                row,
                state=QUEUED,
                attempts=0,
                waits=0,
                claimed_at=None,
                last_error_class=error_class,
                last_error=clip_message(message),
            )
        else:
            del self._rows[scene_id]
        return True

    def release(self, scene_id: int, now: float | None = None) -> bool:
        row = self._processing(scene_id)
        if row is None:
            return False
        self._resume(row)
        return True

    @staticmethod
    def _resume(row: _Row) -> None:
        claimed = row.ready_at if row.claimed_at is None else row.claimed_at
        row.ready_at = min(row.ready_at, claimed)
        row.state, row.dirty, row.claimed_at = QUEUED, True, None

    def drop(self, scene_id: int) -> bool:
        self._failed.discard(scene_id)
        return self._rows.pop(scene_id, None) is not None

    def clear(self) -> int:
        count = len(self._rows)
        self._rows.clear()
        return count

    def resume_in_flight(self, now: float | None = None) -> int:
        rows = [row for row in self._rows.values() if row.state == PROCESSING]
        for row in rows:
            self._resume(row)
        return len(rows)

    def get_queued_scene_ids(self) -> set[int]:
        return set(self._rows)

    def counts(self, now: float | None = None) -> QueueCounts:
        now = self._now(now)
        queued = [row for row in self._rows.values() if row.state == QUEUED]
        return QueueCounts(
            queued=len(queued),
            due=sum(1 for row in queued if row.ready_at <= now),
            processing=len(self._rows) - len(queued),
            failed=self._failed.count(),
        )

    def next_due_at(self) -> float | None:
        times = [
            row.ready_at if row.claimed_at is None else min(row.ready_at, row.claimed_at)
            for row in self._rows.values()
        ]
        return min(times) if times else None

    def items(self) -> list[WorkItem]:
        return [
            WorkItem(
                scene_id=sid,
                state=row.state,
                dirty=row.dirty,
                ready_at=row.ready_at,
                attempts=row.attempts,
                waits=row.waits,
                last_error_class=row.last_error_class,
                last_error=row.last_error,
                wait_reason=row.wait_reason,
                first_enqueued_at=row.first_enqueued_at,
                claimed_at=row.claimed_at,
            )
            for sid, row in sorted(self._rows.items())
        ]


def _job(scene_id: int, row: _Row) -> Job:
    return Job(
        scene_id=scene_id,
        attempts=row.attempts,
        waits=row.waits,
        ready_at=row.ready_at,
        first_enqueued_at=row.first_enqueued_at,
        last_error_class=row.last_error_class,
        last_error=row.last_error,
    )
