"""The run's pool of writes (worker/parallel.py) and its cover budget (worker/cover_budget.py)."""

from __future__ import annotations

import threading

from plex.pacing import AdaptiveLimit
from worker.cover_budget import CoverBudget
from worker.parallel import ParallelWrites


def test_failures_in_flight_together_are_one_outage_event() -> None:
    writes: ParallelWrites[int, int] = ParallelWrites(4, AdaptiveLimit(4), CoverBudget())
    together = threading.Barrier(4)
    events: list[bool] = []

    def fail() -> int:
        together.wait(timeout=10)  # all four in flight at once
        raise RuntimeError("503")

    def done(key: int, result: int | None, error: BaseException | None, at: int) -> bool:
        events.append(writes.outage_event(at))
        return False

    writes.run([(k, fail) for k in range(4)], done)
    assert events == [True, False, False, False]
    writes.run([(9, lambda: 1 / 0)], done)  # started after the event: a new one
    writes.close()
    assert events[-1] is True


def test_one_thread_runs_in_order_and_each_failure_is_its_own_event() -> None:
    writes: ParallelWrites[int, int] = ParallelWrites(1, AdaptiveLimit(1), CoverBudget())
    seen: list[tuple[int, bool]] = []

    def done(key: int, result: int | None, error: BaseException | None, at: int) -> bool:
        seen.append((key, writes.outage_event(at) if error else False))
        return key == 3  # stop after the fourth: the rest never start

    def job(key: int):  # type: ignore[no-untyped-def]
        def work() -> int:
            if key % 2:
                raise ValueError(key)
            return key

        return work

    writes.run([(k, job(k)) for k in range(6)], done)
    assert seen == [(0, False), (1, True), (2, False), (3, True)]


def test_the_pool_keeps_the_limit_and_stops_starting_when_told() -> None:
    limit = AdaptiveLimit(3)
    writes: ParallelWrites[int, int] = ParallelWrites(3, limit, CoverBudget())
    running = 0
    most = 0
    lock = threading.Lock()
    started: list[int] = []

    def job(key: int):  # type: ignore[no-untyped-def]
        def work() -> int:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
                started.append(key)
            threading.Event().wait(0.01)
            with lock:
                running -= 1
            return key

        return work

    finished: list[int] = []
    writes.run(
        [(k, job(k)) for k in range(20)],
        lambda key, result, error, at: finished.append(key) or len(finished) >= 5,
    )
    writes.close()
    assert most <= 3
    assert sorted(finished) == sorted(started)  # every started scene finished and was handed back
    assert len(started) < 20  # nothing new after the stop
    assert started == sorted(started)  # started in the batch's order


def test_cover_bytes_held_at_once_stay_within_the_budget() -> None:
    budget = CoverBudget(limit=1000, most_per_cover=400)
    fetch = budget.source(lambda url: b"x" * int(url))
    results: list[int] = []

    def scene(size: int) -> None:
        data = fetch(str(size))
        threading.Event().wait(0.002)  # held while "uploading"
        results.append(len(data))
        budget.release()

    threads = [threading.Thread(target=scene, args=(s,)) for s in [300, 350, 120, 400, 10] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert budget.peak <= 1000 and budget.held == 0


def test_a_cover_larger_than_the_budget_still_goes_alone() -> None:
    budget = CoverBudget(limit=100, most_per_cover=400)
    assert budget.source(lambda url: b"y" * 150)("u") == b"y" * 150
    assert budget.held == 150
    budget.release()
    assert budget.held == 0


def test_each_job_knows_when_it_started() -> None:
    writes: ParallelWrites[int, int] = ParallelWrites(2, AdaptiveLimit(2), CoverBudget())
    marks: dict[int, int] = {}

    def done(key: int, result: int | None, error: BaseException | None, at: int) -> bool:
        marks[key] = writes.submitted
        return False

    writes.run([(k, lambda: 1) for k in range(6)], done)
    writes.close()
    assert writes.submitted == 6
    # Each job started before the count reached 6 and after none had started.
    assert all(writes.started_since(k, 0) and not writes.started_since(k, 6) for k in range(6))
    # A job finishing with n jobs started began before the job started n-th.
    assert all(not writes.started_since(k, marks[k]) for k in range(6))
