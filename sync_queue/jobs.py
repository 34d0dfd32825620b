"""Data crossing the queue's boundary: jobs, queue rows, counts, failed entries, and the
queue contract (a Protocol) that the SQLite queue and the in-memory reference both implement.

The contract is client-go's workqueue with persisted per-key retry state. Per scene id, a
row is absent, `queued` (always dirty) or `processing` (dirty when re-added meanwhile):

- add(id, ready_at): absent → queued; queued or dirty processing → nothing, except that the
  earlier ready_at wins; clean processing → dirty (it runs once more after done).
- get_batch(n, now): due queued rows in (ready_at, scene_id) order → processing, clean.
- done(id): processing → gone, or queued again when dirty (exactly one more run); a
  success also clears the scene's failed entry and its retry state.
- retry / wait: processing → queued at now + delay (the earlier of that and a re-add's
  ready_at when dirty); retry counts an attempt, wait does not.
- fail: processing → failed list (attempts + 1); queued again with fresh attempts when dirty.
- release: processing → queued, untouched (the run stopped, e.g. Plex unreachable).
- drop: the row (any state) and the failed entry go; a later done/retry/… is a no-op.
- resume_in_flight: every processing row → queued; only at worker start, under the lock.
Outcome calls on a scene that is not processing change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "MESSAGE_LIMIT",
    "PROCESSING",
    "QUEUED",
    "FailedEntry",
    "FailedStore",
    "Job",
    "QueueCounts",
    "WorkItem",
    "WorkQueueStore",
    "clip_message",
]

QUEUED = "queued"
PROCESSING = "processing"
MESSAGE_LIMIT = 2000  # characters of an error message kept (hostile metadata can be huge)


def clip_message(message: object) -> str:
    text = str(message)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


@dataclass(frozen=True)
class Job:
    """A scene handed to the worker. `attempts` counts failed attempts so far (0 at first)."""

    scene_id: int
    attempts: int
    waits: int
    ready_at: float
    first_enqueued_at: float
    last_error_class: str | None
    last_error: str | None


@dataclass(frozen=True)
class WorkItem:
    """One queue row as stored (status output, tests)."""

    scene_id: int
    state: str
    dirty: bool
    ready_at: float
    attempts: int
    waits: int
    last_error_class: str | None
    last_error: str | None
    wait_reason: str | None
    first_enqueued_at: float
    claimed_at: float | None


@dataclass(frozen=True)
class QueueCounts:
    queued: int
    due: int
    processing: int
    failed: int


@dataclass(frozen=True)
class FailedEntry:
    scene_id: int
    reason_class: str
    message: str
    attempts: int
    first_failed_at: float
    last_failed_at: float


class FailedStore(Protocol):
    def add(
        self,
        scene_id: int,
        reason_class: str,
        message: str,
        attempts: int,
        now: float | None = None,
    ) -> None: ...

    def list(self, limit: int | None = None) -> list[FailedEntry]: ...

    def count(self) -> int: ...

    def retry_all(self, now: float | None = None) -> list[int]: ...

    def clear(self) -> int: ...

    def purge_older_than(self, days: float, now: float | None = None) -> int: ...


class WorkQueueStore(Protocol):
    @property
    def failed(self) -> FailedStore: ...

    def add(
        self, scene_id: int, ready_at: float | None = None, now: float | None = None
    ) -> bool: ...

    def add_many(
        self, scene_ids: Iterable[int], ready_at: float | None = None, now: float | None = None
    ) -> int: ...

    def get(self, now: float | None = None) -> Job | None: ...

    def get_batch(self, n: int, now: float | None = None) -> list[Job]: ...

    def done(self, scene_id: int, now: float | None = None) -> bool: ...

    def retry(
        self,
        scene_id: int,
        delay: float,
        error_class: str,
        message: str,
        now: float | None = None,
    ) -> int | None: ...

    def wait(
        self, scene_id: int, delay: float, reason: str = "", now: float | None = None
    ) -> bool: ...

    def fail(
        self, scene_id: int, error_class: str, message: str, now: float | None = None
    ) -> bool: ...

    def release(self, scene_id: int, now: float | None = None) -> bool: ...

    def drop(self, scene_id: int) -> bool: ...

    def clear(self) -> int: ...

    def resume_in_flight(self, now: float | None = None) -> int: ...

    def get_queued_scene_ids(self) -> set[int]: ...

    def counts(self, now: float | None = None) -> QueueCounts: ...

    def next_due_at(self) -> float | None: ...

    def items(self) -> list[WorkItem]: ...
