"""The workqueue contract (client-go util/workqueue semantics plus persisted retry state),
run against every implementation: in memory, SQLite with WAL, SQLite with a rollback journal.
"""

from __future__ import annotations

from sync_queue.jobs import PROCESSING, QUEUED, WorkQueueStore

from .conftest import T0, Clock


def drain_ids(queue: WorkQueueStore, now: float | None = None) -> list[int]:
    """Every id get() hands out right now (each left processing)."""
    ids = []
    while (job := queue.get(now)) is not None:
        ids.append(job.scene_id)
    return ids


def state_of(queue: WorkQueueStore, scene_id: int) -> tuple[str, bool] | None:
    for item in queue.items():
        if item.scene_id == scene_id:
            return item.state, item.dirty
    return None


# --- collapse while processing (written first) ------------------------------------------------


def test_add_add_is_one_item(queue: WorkQueueStore) -> None:
    assert queue.add(1) is True
    assert queue.add(1) is False
    assert drain_ids(queue) == [1]


def test_add_while_processing_gives_exactly_one_more_get_after_done(
    queue: WorkQueueStore,
) -> None:
    queue.add(1)
    assert drain_ids(queue) == [1]
    assert queue.add(1) is True  # dirty again while processing
    assert queue.get() is None  # never handed out twice at once
    assert state_of(queue, 1) == (PROCESSING, True)
    assert queue.done(1) is True  # re-queued
    assert drain_ids(queue) == [1]
    assert queue.done(1) is False
    assert queue.get() is None
    assert queue.get_queued_scene_ids() == set()


def test_many_adds_during_processing_give_exactly_one_more_run(queue: WorkQueueStore) -> None:
    queue.add(7)
    assert drain_ids(queue) == [7]
    results = [queue.add(7) for _ in range(25)]
    assert results == [True] + [False] * 24
    assert queue.get() is None
    queue.done(7)
    assert drain_ids(queue) == [7]
    queue.done(7)
    assert drain_ids(queue) == []


def test_done_without_dirty_removes_the_row(queue: WorkQueueStore) -> None:
    queue.add(3)
    drain_ids(queue)
    assert queue.done(3) is False
    assert queue.items() == []
    counts = queue.counts()
    assert (counts.queued, counts.processing, counts.due, counts.failed) == (0, 0, 0, 0)


def test_add_during_processing_of_other_keys_is_independent(queue: WorkQueueStore) -> None:
    queue.add_many([1, 2])
    assert [j.scene_id for j in queue.get_batch(1)] == [1]
    queue.add(2)  # queued already: collapses
    queue.add(3)
    assert drain_ids(queue) == [2, 3]
    for sid in (1, 2, 3):
        queue.done(sid)
    assert queue.items() == []


def test_outcome_calls_on_a_scene_not_processing_change_nothing(queue: WorkQueueStore) -> None:
    queue.add(5)
    before = queue.items()
    assert queue.done(5) is False
    assert queue.retry(5, 10, "E", "m") is None
    assert queue.wait(5, 10) is False
    assert queue.fail(5, "E", "m") is False
    assert queue.release(5) is False
    assert queue.done(99) is False
    assert queue.items() == before
    assert queue.failed.count() == 0


# --- ordering, delays, batches ----------------------------------------------------------------


def test_get_batch_hands_out_due_items_in_ready_order(queue: WorkQueueStore) -> None:
    queue.add(30, ready_at=T0 - 1)
    queue.add(10, ready_at=T0 - 5)
    queue.add(20, ready_at=T0 - 1)
    queue.add(40, ready_at=T0 + 60)
    assert [j.scene_id for j in queue.get_batch(2)] == [10, 20]
    assert [j.scene_id for j in queue.get_batch(10)] == [30]
    assert queue.get_batch(10, now=T0 + 59) == []
    assert [j.scene_id for j in queue.get_batch(10, now=T0 + 60)] == [40]
    assert queue.get_batch(0) == []


def test_earlier_ready_at_wins_when_adds_collapse(queue: WorkQueueStore) -> None:
    queue.add(1, ready_at=T0 + 100)
    queue.add(1, ready_at=T0 + 5)
    queue.add(2, ready_at=T0)
    queue.add(2, ready_at=T0 + 100)  # a later add never delays pending work
    assert drain_ids(queue, T0) == [2]
    assert drain_ids(queue, T0 + 4) == []
    assert drain_ids(queue, T0 + 5) == [1]


def test_add_many_counts_only_new_work(queue: WorkQueueStore) -> None:
    assert queue.add_many([1, 2, 2, 3]) == 3
    assert queue.add_many([3, 4]) == 1
    queue.get_batch(2)  # 1 and 2 processing
    assert queue.add_many([1, 2, 4, 5]) == 3  # 1 and 2 become dirty, 5 is new
    assert queue.add_many([]) == 0
    assert queue.get_queued_scene_ids() == {1, 2, 3, 4, 5}


def test_job_carries_retry_state(queue: WorkQueueStore, clock: Clock) -> None:
    queue.add(9)
    job = queue.get()
    assert job is not None
    assert (job.scene_id, job.attempts, job.waits, job.first_enqueued_at) == (9, 0, 0, T0)
    assert job.last_error_class is None


# --- outcomes ---------------------------------------------------------------------------------


def test_retry_counts_an_attempt_and_delays(queue: WorkQueueStore, clock: Clock) -> None:
    queue.add(4)
    queue.get()
    assert queue.retry(4, 30, "PlexServerDown", "HTTP 503") == 1
    assert state_of(queue, 4) == (QUEUED, True)
    assert queue.get(T0 + 29) is None
    job = queue.get(T0 + 30)
    assert job is not None
    assert (job.attempts, job.last_error_class, job.last_error) == (1, "PlexServerDown", "HTTP 503")
    assert queue.retry(4, 60, "PlexServerDown", "HTTP 503", now=T0 + 30) == 2
    assert queue.get(T0 + 89) is None
    assert queue.get(T0 + 90) is not None
    assert queue.done(4, now=T0 + 90) is False
    queue.add(4, now=T0 + 91)
    job = queue.get(T0 + 91)
    assert job is not None and job.attempts == 0  # success reset the backoff


def test_retry_of_a_dirty_scene_keeps_the_earlier_ready_at(queue: WorkQueueStore) -> None:
    queue.add(4)
    queue.get()
    queue.add(4)  # edited while processing: due now
    queue.retry(4, 300, "E", "m")
    job = queue.get()
    assert job is not None and job.attempts == 1


def test_success_after_retries_forgets_the_error(queue: WorkQueueStore) -> None:
    queue.add(4)
    queue.get()
    queue.retry(4, 0, "E", "m")
    queue.get()
    queue.add(4)
    assert queue.done(4) is True
    job = queue.get()
    assert job is not None
    assert (job.attempts, job.waits, job.last_error_class, job.last_error) == (0, 0, None, None)


def test_wait_delays_without_counting_an_attempt(queue: WorkQueueStore) -> None:
    queue.add(6)
    queue.get()
    assert queue.wait(6, 120, "Plex has not scanned the file yet") is True
    assert queue.get(T0 + 119) is None
    job = queue.get(T0 + 120)
    assert job is not None
    assert (job.attempts, job.waits) == (0, 1)
    item = next(i for i in queue.items() if i.scene_id == 6)
    assert item.wait_reason == "Plex has not scanned the file yet"


def test_fail_moves_to_the_failed_list(queue: WorkQueueStore, clock: Clock) -> None:
    queue.add(8)
    queue.get()
    queue.retry(8, 0, "PlexServerDown", "503")
    queue.get()
    clock.advance(10)
    assert queue.fail(8, "PlexNotFound", "no Plex item for the file") is True
    assert queue.get_queued_scene_ids() == set()
    [entry] = queue.failed.list()
    assert (entry.scene_id, entry.reason_class, entry.attempts) == (8, "PlexNotFound", 2)
    assert entry.first_failed_at == entry.last_failed_at == T0 + 10
    assert queue.counts().failed == 1


def test_fail_of_a_dirty_scene_queues_a_fresh_run(queue: WorkQueueStore) -> None:
    queue.add(8)
    queue.get()
    queue.retry(8, 0, "E", "m")
    queue.get()
    queue.add(8)  # the user edited it meanwhile
    queue.fail(8, "Permanent", "bad")
    assert queue.failed.count() == 1
    job = queue.get()
    assert job is not None and job.attempts == 0
    queue.done(8)  # success clears the failed entry too
    assert queue.failed.count() == 0


def test_release_puts_back_untouched_and_due(queue: WorkQueueStore, clock: Clock) -> None:
    queue.add(2, ready_at=T0)
    queue.get()
    queue.retry(2, 0, "E", "m")
    job = queue.get()
    assert job is not None and job.attempts == 1
    queue.add(2, ready_at=T0 + 500)  # a delayed re-add must not delay the released work
    clock.advance(5)
    assert queue.release(2) is True
    job = queue.get(T0)
    assert job is not None and job.attempts == 1


def test_drop_forgets_the_scene_in_any_state(queue: WorkQueueStore) -> None:
    queue.add_many([1, 2, 3])
    queue.get()  # 1 processing
    queue.get()
    queue.fail(2, "E", "m")
    assert queue.drop(1) is True
    assert queue.drop(3) is True
    assert queue.drop(2) is False  # not queued, but its failed entry goes
    assert queue.drop(42) is False
    assert queue.done(1) is False
    assert queue.items() == []
    assert queue.failed.count() == 0


def test_clear_removes_everything_queued_or_in_flight(queue: WorkQueueStore) -> None:
    queue.add_many(range(1, 11))
    queue.get_batch(3)
    assert queue.clear() == 10
    assert queue.items() == []
    assert queue.get() is None


# --- restart ----------------------------------------------------------------------------------


def test_resume_in_flight_requeues_processing_once(queue: WorkQueueStore, clock: Clock) -> None:
    queue.add_many([1, 2, 3])
    queue.get_batch(2)
    queue.add(2)  # dirty while processing
    clock.advance(30)
    assert queue.resume_in_flight() == 2
    assert queue.resume_in_flight() == 0
    assert {i.scene_id: (i.state, i.dirty) for i in queue.items()} == {
        1: (QUEUED, True),
        2: (QUEUED, True),
        3: (QUEUED, True),
    }
    assert sorted(drain_ids(queue)) == [1, 2, 3]


# --- queries ----------------------------------------------------------------------------------


def test_counts_next_due_and_queued_ids(queue: WorkQueueStore) -> None:
    assert queue.next_due_at() is None
    queue.add(1, ready_at=T0 + 50)
    queue.add(2, ready_at=T0 + 10)
    queue.add(3)
    assert queue.next_due_at() == T0
    queue.get()  # 3 in flight: counts as due at its claim time
    assert queue.next_due_at() == T0
    counts = queue.counts()
    assert (counts.queued, counts.due, counts.processing) == (2, 0, 1)
    assert queue.counts(now=T0 + 10).due == 1
    assert queue.get_queued_scene_ids() == {1, 2, 3}
    queue.done(3)
    assert queue.next_due_at() == T0 + 10


# --- failed list ------------------------------------------------------------------------------


def test_failed_list_retry_all_clear_and_purge(queue: WorkQueueStore, clock: Clock) -> None:
    failed = queue.failed
    failed.add(1, "E", "first", 3, now=T0 - 40 * 86400)
    failed.add(1, "E2", "again", 4, now=T0 - 31 * 86400)
    failed.add(2, "E", "m", 1, now=T0 - 10 * 86400)
    failed.add(3, "E", "x" * 10_000, 1, now=T0)
    entries = failed.list()
    assert [e.scene_id for e in entries] == [3, 2, 1]
    assert (entries[2].first_failed_at, entries[2].last_failed_at) == (
        T0 - 40 * 86400,
        T0 - 31 * 86400,
    )
    assert (entries[2].reason_class, entries[2].message, entries[2].attempts) == ("E2", "again", 4)
    assert len(entries[0].message) <= 2000
    assert [e.scene_id for e in failed.list(limit=1)] == [3]
    assert failed.purge_older_than(30) == 1
    assert failed.retry_all() == [2, 3]
    assert failed.count() == 0
    jobs = queue.get_batch(10)
    assert [(j.scene_id, j.attempts) for j in jobs] == [(2, 0), (3, 0)]
    failed.add(4, "E", "m", 1)
    assert failed.clear() == 1
    assert failed.list() == []
