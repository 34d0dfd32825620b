"""The one outcome switch and the backoff, against both queue implementations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from base.errors import (
    ConfigError,
    PlexAuthError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    StashUnavailable,
)
from sync_queue.jobs import WorkQueueStore
from sync_queue.workqueue import WorkQueue
from tests.queue.memqueue import MemWorkQueue
from worker.outcomes import Outcome, RetryPolicy, apply_outcome, backoff_delay

T0 = 1_700_000_000.0
POLICY = RetryPolicy(max_retries=3, max_waits=2)


@pytest.fixture(params=["memory", "sqlite"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkQueueStore]:
    store: WorkQueueStore = (
        MemWorkQueue(lambda: T0)
        if request.param == "memory"
        else WorkQueue(tmp_path, clock=lambda: T0)
    )
    yield store
    if isinstance(store, WorkQueue):
        assert store.consistency_problems() == []
        store.close()


def _claim(queue: WorkQueueStore, scene_id: int = 7):  # type: ignore[no-untyped-def]
    queue.add(scene_id, now=T0)
    job = queue.get(now=T0)
    assert job is not None and job.scene_id == scene_id
    return job


def test_synced_is_done_and_a_scene_added_meanwhile_runs_once_more(
    queue: WorkQueueStore,
) -> None:
    job = _claim(queue)
    assert apply_outcome(queue, job, Outcome.synced(), POLICY, now=T0).name == "done"
    assert queue.items() == []
    job = _claim(queue)
    queue.add(7, now=T0)
    queue.add(7, now=T0)
    action = apply_outcome(queue, job, Outcome.unchanged(), POLICY, now=T0)
    assert action.name == "rerun"
    assert [i.state for i in queue.items()] == ["queued"]


def test_retry_backs_off_per_scene_and_fails_on_the_last_attempt(queue: WorkQueueStore) -> None:
    delays = []
    now = T0
    for _attempt in range(2):
        job = queue.get(now=now) if queue.items() else _claim(queue)
        assert job is not None
        action = apply_outcome(
            queue, job, Outcome.retry("PlexTransient", "503"), POLICY, rand=lambda: 0.5, now=now
        )
        assert action.name == "retried"
        delays.append(action.delay)
        (item,) = queue.items()
        assert item.attempts == action.attempts and item.ready_at == now + action.delay
        now = item.ready_at
    assert delays == [30.0, 60.0]
    job = queue.get(now=now)
    assert job is not None and job.attempts == 2
    action = apply_outcome(queue, job, Outcome.retry("PlexTransient", "503"), POLICY, now=now)
    assert action.name == "failed" and queue.items() == []
    (entry,) = queue.failed.list()
    assert (entry.reason_class, entry.attempts) == ("PlexTransient", 3)
    assert entry.message == "gave up after 3 attempts: 503"


def test_wait_is_a_fixed_delay_that_spends_no_attempt(queue: WorkQueueStore) -> None:
    job = _claim(queue)
    action = apply_outcome(queue, job, Outcome.wait("NotScannedYet", "scan asked"), POLICY, now=T0)
    assert (action.name, action.delay) == ("waiting", 300.0)
    (item,) = queue.items()
    assert (item.attempts, item.waits, item.ready_at) == (0, 1, T0 + 300.0)
    job = queue.get(now=T0 + 300)
    assert job is not None
    custom = Outcome.wait("CoverPending", "placeholder cover", delay=45.0)
    assert apply_outcome(queue, job, custom, POLICY, now=T0 + 300).delay == 45.0
    job = queue.get(now=T0 + 345)
    assert job is not None and job.waits == 2
    action = apply_outcome(queue, job, Outcome.wait("NotScannedYet", "x"), POLICY, now=T0 + 345)
    assert action.name == "failed"  # max_waits reached: no endless circling
    assert queue.failed.list()[0].message.startswith("still waiting after 2 waits")


def test_failed_goes_to_the_failed_list_with_its_class(queue: WorkQueueStore) -> None:
    job = _claim(queue)
    outcome = Outcome.failed("OutsideLibraries", "/x is outside your Plex libraries")
    assert apply_outcome(queue, job, outcome, POLICY, now=T0).name == "failed"
    (entry,) = queue.failed.list()
    assert (entry.scene_id, entry.reason_class, entry.attempts) == (7, "OutsideLibraries", 1)
    assert entry.message == "/x is outside your Plex libraries"


def test_blocked_releases_the_job_untouched(queue: WorkQueueStore) -> None:
    job = _claim(queue)
    action = apply_outcome(queue, job, Outcome.blocked("PlexAuthError", "401"), POLICY, now=T0)
    assert action.name == "released"
    (item,) = queue.items()
    assert (item.state, item.attempts, item.waits, item.ready_at) == ("queued", 0, 0, T0)
    assert queue.failed.count() == 0


def test_an_outcome_for_a_scene_no_longer_in_flight_changes_nothing(
    queue: WorkQueueStore,
) -> None:
    job = _claim(queue)
    queue.drop(7)
    for outcome in (Outcome.retry("X", "y"), Outcome.wait("X", "y"), Outcome.blocked("X", "y")):
        assert apply_outcome(queue, job, outcome, POLICY, now=T0).name == "gone"
    # done() cannot tell "gone" from "finished": a synced scene counts as done either way.
    assert apply_outcome(queue, job, Outcome.synced(), POLICY, now=T0).name == "done"
    assert queue.items() == [] and queue.failed.count() == 0


@given(
    attempt=st.integers(min_value=1, max_value=200),
    rand=st.floats(min_value=0.0, max_value=0.999999),
)
def test_backoff_stays_within_its_jittered_exponential_bounds(attempt: int, rand: float) -> None:
    policy = RetryPolicy()
    raw = min(policy.max_delay_s, policy.base_delay_s * 2 ** min(attempt - 1, 64))
    delay = backoff_delay(attempt, policy, lambda: rand)
    assert raw * (1 - policy.jitter) - 1e-9 <= delay <= min(policy.max_delay_s, raw * 1.25)
    assert delay <= policy.max_delay_s


def test_jitter_spreads_retries() -> None:
    import random

    rng = random.Random(4)
    delays = {round(backoff_delay(1, RetryPolicy(), rng.random), 3) for _ in range(50)}
    assert len(delays) > 40 and min(delays) >= 22.5 and max(delays) <= 37.5


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (PlexServerDown("down"), "blocked"),
        (PlexAuthError("401"), "blocked"),
        (PlexTransient("503"), "retry"),
        (PlexNotFound("404"), "retry"),
        (StashUnavailable("refused"), "retry"),
        (ConfigError("bad"), "failed"),
        (KeyError("title"), "retry"),
    ],
)
def test_errors_map_to_outcomes_by_class(error: Exception, kind: str) -> None:
    outcome = Outcome.from_error(error)
    assert outcome.kind == kind and outcome.reason_class == type(error).__name__


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome kind 'done'"):
        Outcome("done")


def _kinds(outcomes: dict[int, Outcome]) -> list[str]:
    return [outcomes[sid].kind for sid in sorted(outcomes)]


def test_a_streak_of_outage_retries_blocks_the_batch_without_spending_attempts() -> None:
    from worker.outcomes import TRANSIENT_STREAK, transient_outage

    down = Outcome.retry("PlexTransient", "503")
    batch = {sid: down for sid in range(1, TRANSIENT_STREAK + 1)}
    batch[99] = Outcome.failed("PlexBadRequest", "400")  # a scene's own fault stays its own
    result, streak = transient_outage(sorted(batch), batch, 0)
    assert _kinds(result) == ["blocked"] * TRANSIENT_STREAK + ["failed"]
    assert streak == TRANSIENT_STREAK


def test_one_scene_short_of_the_streak_or_a_success_between_stays_a_retry() -> None:
    from worker.outcomes import TRANSIENT_STREAK, transient_outage

    down = Outcome.retry("StashUnavailable", "reset")
    short = {sid: down for sid in range(1, TRANSIENT_STREAK)}
    result, streak = transient_outage(sorted(short), short, 0)
    assert _kinds(result) == ["retry"] * (TRANSIENT_STREAK - 1) and streak == TRANSIENT_STREAK - 1
    # ... but the streak carries over to the next batch of the same run
    result, _ = transient_outage([50], {50: down}, streak)
    assert _kinds(result) == ["blocked"]
    mixed = {1: down, 2: down, 3: Outcome.synced(), 4: down, 5: down, 6: down}
    result, streak = transient_outage(sorted(mixed), mixed, 2)
    assert _kinds(result).count("retry") == 5 and streak == 3
    # other retry classes (a deterministic 500 is PlexTransient; a gone key is not) say nothing
    other = {sid: Outcome.retry("PlexNotFound", "404") for sid in range(1, 10)}
    assert _kinds(transient_outage(sorted(other), other, 0)[0]) == ["retry"] * 9


def test_a_blocked_outcome_blocks_the_batch_s_outage_retries_too() -> None:
    from worker.outcomes import transient_outage

    batch = {
        1: Outcome.retry("PlexTransient", "truncated answer"),
        2: Outcome.blocked("PlexServerDown", "refused"),
        3: Outcome.retry("PlexNotFound", "404"),
    }
    result, _ = transient_outage([1, 2, 3], batch, 0)
    assert _kinds(result) == ["blocked", "blocked", "retry"]
