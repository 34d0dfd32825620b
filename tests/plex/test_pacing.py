"""The in-flight limit (AIMD) and the write spacing shared by a run's threads (issue 20)."""

from __future__ import annotations

import threading

from base.errors import PlexNotFound, PlexServerDown, PlexTransient
from plex.client import PlexSession
from plex.pacing import AdaptiveLimit, WriteSpacing
from plex.sessions import ThreadSessions


def test_requests_failing_together_halve_the_limit_once() -> None:
    limit = AdaptiveLimit(8)
    slots = [limit.acquire() for _ in range(4)]
    retries = [limit.release(slot, PlexTransient("503")) for slot in slots]
    assert limit.limit == 4 and limit.halvings == 1  # one signal, not four
    assert retries == [True] * 4  # crowded: Plex may have refused us, send again
    slot = limit.acquire()
    assert limit.release(slot, PlexServerDown("timed out")) is False  # alone: fails as before
    assert limit.limit == 2 and limit.halvings == 2


def test_a_run_of_successes_adds_one_up_to_the_cap() -> None:
    limit = AdaptiveLimit(3)
    limit.release(limit.acquire(), PlexTransient("429"))
    assert limit.limit == 1
    limit.release(limit.acquire())  # one success at limit 1: one more slot
    assert limit.limit == 2
    limit.release(limit.acquire(), PlexNotFound("gone"))  # not an overload: no change
    limit.release(limit.acquire())
    assert limit.limit == 2
    limit.release(limit.acquire())
    assert limit.limit == 3
    for _ in range(10):
        limit.release(limit.acquire())
    assert limit.limit == 3  # never above the setting


def test_a_timeout_or_reset_is_never_sent_again() -> None:
    limit = AdaptiveLimit(4)
    first, second = limit.acquire(), limit.acquire()
    assert limit.release(first, PlexServerDown("reset")) is False
    assert limit.release(second, PlexTransient("500")) is True


def test_a_request_is_sent_again_at_most_once_per_halving() -> None:
    limit = AdaptiveLimit(4)
    assert limit.resends == 2
    other = limit.acquire()  # always in flight: every try of ours is crowded
    tries = 0
    while True:
        slot = limit.acquire(tries)
        tries += 1
        limit.limit = 4  # others' successes grew it back meanwhile
        if not limit.release(slot, _status(PlexTransient("500 on this item"), 500)):
            break
    limit.release(other)
    assert tries == 3
    busy = limit.acquire(), limit.acquire(5)
    assert limit.release(busy[1], _status(PlexTransient("busy"), 503)) is True  # no cap on 503


def _status(exc: Exception, status: int) -> Exception:
    exc.status = status  # type: ignore[attr-defined]
    return exc


def test_one_at_a_time_never_sends_again() -> None:
    limit = AdaptiveLimit(1)
    assert limit.release(limit.acquire(), PlexTransient("503")) is False
    assert limit.limit == 1


def test_the_gate_holds_at_most_the_limit_in_flight() -> None:
    limit = AdaptiveLimit(3)
    inside = threading.Semaphore(0)
    go = threading.Event()

    def request() -> None:
        slot = limit.acquire()
        inside.release()
        go.wait()
        limit.release(slot)

    threads = [threading.Thread(target=request) for _ in range(7)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        inside.acquire()
    assert limit.in_flight == 3  # the other four wait for a slot
    go.set()
    for thread in threads:
        thread.join()
    assert limit.peak_in_flight == 3 and limit.in_flight == 0


def test_writes_are_spaced_by_their_starts() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    spacing = WriteSpacing(0.25, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):  # three threads asking at the same instant
        spacing.wait_turn()
    assert slept == [0.25, 0.5]  # starts at 100.0, 100.25, 100.5
    now[0] = 200.0
    spacing.wait_turn()
    assert slept == [0.25, 0.5]  # long after: no wait


def test_each_thread_gets_its_own_session_with_the_same_settings() -> None:
    main = PlexSession()
    main.verify = False
    sessions = ThreadSessions(main, PlexSession)
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.extend([sessions.get(), sessions.get()]))
    thread.start()
    thread.join()
    assert sessions.get() is main
    assert seen[0] is seen[1] and seen[0] is not main
    assert seen[0].verify is False  # type: ignore[attr-defined]
    sessions.close()
