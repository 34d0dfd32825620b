"""Fixtures of the storage tests: a settable clock and every work queue implementation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync_queue.jobs import WorkQueueStore
from sync_queue.workqueue import WorkQueue
from tests.queue.memqueue import MemWorkQueue

T0 = 1_700_000_000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


QUEUE_KINDS = ["memory", "sqlite-wal", "sqlite-rollback"]


def make_queue(kind: str, data_dir: Path, clock: Clock) -> WorkQueueStore:
    if kind == "memory":
        return MemWorkQueue(clock)
    journal = "delete" if kind == "sqlite-rollback" else "auto"
    return WorkQueue(data_dir, clock=clock, journal=journal)


@pytest.fixture(params=QUEUE_KINDS)
def queue(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[WorkQueueStore]:
    """The same contract tests run against every implementation (STYLE item 9)."""
    store = make_queue(request.param, tmp_path, clock)
    yield store
    if isinstance(store, WorkQueue):
        assert store.consistency_problems() == []
        store.close()
