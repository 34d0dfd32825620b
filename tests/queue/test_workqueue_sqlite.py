"""The SQLite work queue beyond the shared contract: it behaves exactly like the in-memory
reference on random operation sequences, survives reopening, never hands one key to two
workers, and keeps persist-queue's channel in step with its table.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from pathlib import Path

import pytest

from sync_queue.db import connect, journal_mode, write_txn
from sync_queue.jobs import PROCESSING, QUEUED
from sync_queue.workqueue import HandOutChannel, WorkQueue
from tests.queue.memqueue import MemWorkQueue

from .conftest import T0, Clock

RANDOM_OPS = [
    *("add", "add", "add_many", "get_batch", "get_batch", "done", "done", "retry", "wait"),
    *("fail", "release", "drop", "retry_all", "resume"),
]


def apply_random_op(rng: random.Random, queues: list, now: float) -> object:
    """One random operation applied to every queue; returns the results (must agree)."""
    sid = rng.randint(1, 12)
    op = rng.choice(RANDOM_OPS)
    delay = rng.choice([0.0, 1.0, 5.0, 30.0])
    ready = rng.choice([None, now + delay])
    results = []
    for q in queues:
        if op == "add":
            results.append(q.add(sid, ready_at=ready, now=now))
        elif op == "add_many":
            results.append(q.add_many([sid, sid + 1, sid + 2], now=now))
        elif op == "get_batch":
            results.append([j for j in q.get_batch(3, now=now)])
        elif op == "done":
            results.append(q.done(sid, now=now))
        elif op == "retry":
            results.append(q.retry(sid, delay, "E", f"m{sid}", now=now))
        elif op == "wait":
            results.append(q.wait(sid, delay, "scan", now=now))
        elif op == "fail":
            results.append(q.fail(sid, "F", "bad", now=now))
        elif op == "release":
            results.append(q.release(sid, now=now))
        elif op == "drop":
            results.append(q.drop(sid))
        elif op == "retry_all":
            results.append(q.failed.retry_all(now=now))
        else:
            results.append(q.resume_in_flight(now=now))
    return op, results


# Fewer steps with the rollback journal: every commit there costs real fsyncs.
@pytest.mark.parametrize(("journal", "steps"), [("auto", 700), ("delete", 250)])
def test_matches_the_reference_on_random_operations(
    tmp_path: Path, journal: str, steps: int
) -> None:
    rng = random.Random(20240917)
    model = MemWorkQueue()
    real = WorkQueue(tmp_path, journal=journal)
    now = T0
    try:
        for step in range(steps):
            now += rng.choice([0.0, 0.5, 2.0, 10.0])
            op, (expected, got) = apply_random_op(rng, [model, real], now)
            assert got == expected, (step, op)
            assert real.items() == model.items(), (step, op)
            assert real.failed.list() == model.failed.list(), (step, op)
            if step % 97 == 0:  # a restart in the middle of everything
                real.close()
                real = WorkQueue(tmp_path, journal=journal)
        assert real.consistency_problems() == []
    finally:
        real.close()


def test_state_survives_reopening_and_in_flight_waits_for_resume(
    tmp_path: Path, clock: Clock
) -> None:
    with WorkQueue(tmp_path, clock=clock) as queue:
        queue.add_many([1, 2, 3])
        queue.get_batch(2)
        queue.add(2)
    with WorkQueue(tmp_path, clock=clock) as queue:  # a crashed worker's successor
        states = {i.scene_id: (i.state, i.dirty) for i in queue.items()}
        assert states == {1: (PROCESSING, False), 2: (PROCESSING, True), 3: (QUEUED, True)}
        assert [j.scene_id for j in queue.get_batch(10)] == [3]  # in-flight ones not yet
        assert queue.resume_in_flight() == 3
        assert queue.consistency_problems() == []
        assert sorted(j.scene_id for j in queue.get_batch(10)) == [1, 2, 3]


def test_resume_runs_persist_queues_auto_resume_on_the_channel(tmp_path: Path) -> None:
    with WorkQueue(tmp_path) as queue:
        queue.add_many([5, 6])
        queue.get_batch(2)
    conn = connect(tmp_path / "queue.db")
    try:
        rows = conn.execute("SELECT status FROM ack_queue_handout").fetchall()
        assert sorted(r[0] for r in rows) == [2, 2]  # persist-queue's "unack"
    finally:
        conn.close()
    with WorkQueue(tmp_path) as queue:
        queue.resume_in_flight()
        assert queue.consistency_problems() == []
    conn = connect(tmp_path / "queue.db")
    try:
        assert conn.execute("SELECT COUNT(*) FROM ack_queue_handout").fetchone()[0] == 0
    finally:
        conn.close()


def test_channel_statements_join_the_callers_transaction(tmp_path: Path) -> None:
    conn = connect(tmp_path / "c.db")
    channel = HandOutChannel(conn, str(tmp_path))
    with pytest.raises(RuntimeError), write_txn(conn):
        pqid = channel.hand_out(11)
        assert channel.entries() == [(pqid, 11, channel.unack_status())]
        raise RuntimeError("crash before commit")
    assert channel.entries() == []  # persist-queue's writes rolled back with ours
    with write_txn(conn):
        pqid = channel.hand_out(12)
    channel.ack(pqid)
    assert channel.entries() == []  # acked entries are cleared, the channel never grows
    channel.close()
    conn.close()


def test_never_two_workers_on_one_key(tmp_path: Path) -> None:
    """Two workers (own connections, threads) racing on five hot keys never overlap."""
    WorkQueue(tmp_path).close()
    active: dict[int, str] = {}
    guard = threading.Lock()
    violations: list[str] = []
    errors: list[BaseException] = []

    def worker(name: str, seed: int) -> None:
        rng = random.Random(seed)
        try:
            with WorkQueue(tmp_path, busy_timeout=30) as queue:
                for _ in range(150):
                    queue.add_many(rng.sample(range(1, 6), 2))
                    for job in queue.get_batch(2):
                        with guard:
                            if job.scene_id in active:
                                violations.append(f"{name} got {job.scene_id} held by another")
                            active[job.scene_id] = name
                        with guard:
                            del active[job.scene_id]
                        queue.done(job.scene_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}", i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert violations == []
    with WorkQueue(tmp_path) as queue:
        assert queue.consistency_problems() == []
        assert all(i.state == QUEUED for i in queue.items())


def test_journal_modes_of_the_queue_file(tmp_path: Path) -> None:
    (tmp_path / "wal").mkdir()
    (tmp_path / "rollback").mkdir()
    WorkQueue(tmp_path / "wal").close()
    WorkQueue(tmp_path / "rollback", journal="delete").close()
    for folder, mode in (("wal", "wal"), ("rollback", "delete")):
        conn = sqlite3.connect(tmp_path / folder / "queue.db")
        assert journal_mode(conn) == mode
        conn.close()


def test_hundred_thousand_rows_stay_cheap(tmp_path: Path) -> None:
    with WorkQueue(tmp_path) as queue:
        for start in range(0, 100_000, 10_000):
            assert queue.add_many(range(start + 1, start + 10_001), now=T0) == 10_000
        assert queue.get_queued_scene_ids() == set(range(1, 100_001))
        assert queue.counts(now=T0).due == 100_000
        assert [j.scene_id for j in queue.get_batch(3, now=T0)] == [1, 2, 3]


def test_failed_list_opened_standalone_shares_the_queue_file(tmp_path: Path) -> None:
    from sync_queue.queuedb import FailedList

    with WorkQueue(tmp_path) as queue, FailedList(tmp_path) as failed:
        queue.add(3)
        queue.get()
        queue.fail(3, "PlexNotFound", "no item")
        entry = failed.get(3)
        assert entry is not None and entry.reason_class == "PlexNotFound"
        assert failed.get(4) is None
        assert failed.retry_all() == [3]
        assert queue.get_queued_scene_ids() == {3}
        assert queue.failed.count() == 0
    with pytest.raises(ValueError):
        FailedList()
