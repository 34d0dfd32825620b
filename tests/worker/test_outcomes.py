"""The one outcome switch and the backoff, against both queue implementations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from base.errors import (
    ConfigError,
    LockTimeout,
    PlexAuthError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    StashAuthError,
    StashUnavailable,
)
from base.status import SceneStatus, Treatment
from plex.errors import PlexBadRequest
from stash.errors import StashQueryError
from sync_queue.jobs import WorkQueueStore
from sync_queue.workqueue import WorkQueue
from tests.queue.memqueue import MemWorkQueue
from worker.outcomes import OutageStreak, Outcome, RetryPolicy, apply_outcome, backoff_delay

T0 = 1_700_000_000.0
SYNCED = Outcome(SceneStatus.SYNCED)
UNCHANGED = Outcome(SceneStatus.UNCHANGED)
PLEX_503 = Outcome(SceneStatus.PLEX_ERROR, "503")
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
    assert apply_outcome(queue, job, SYNCED, POLICY, now=T0).name == "done"
    assert queue.items() == []
    job = _claim(queue)
    queue.add(7, now=T0)
    queue.add(7, now=T0)
    action = apply_outcome(queue, job, UNCHANGED, POLICY, now=T0)
    assert action.name == "rerun"
    assert [i.state for i in queue.items()] == ["queued"]


def test_retry_backs_off_per_scene_and_fails_on_the_last_attempt(queue: WorkQueueStore) -> None:
    delays = []
    now = T0
    for _attempt in range(2):
        job = queue.get(now=now) if queue.items() else _claim(queue)
        assert job is not None
        action = apply_outcome(queue, job, PLEX_503, POLICY, rand=lambda: 0.5, now=now)
        assert action.name == "retried"
        delays.append(action.delay)
        (item,) = queue.items()
        assert item.attempts == action.attempts and item.ready_at == now + action.delay
        now = item.ready_at
    assert delays == [30.0, 60.0]
    job = queue.get(now=now)
    assert job is not None and job.attempts == 2
    action = apply_outcome(queue, job, PLEX_503, POLICY, now=now)
    assert action.name == "failed" and queue.items() == []
    (entry,) = queue.failed.list()
    assert (entry.reason_class, entry.attempts) == ("plex_error", 3)
    assert entry.message == "gave up after 3 attempts: 503"


def test_wait_is_a_fixed_delay_that_spends_no_attempt(queue: WorkQueueStore) -> None:
    job = _claim(queue)
    waiting = Outcome(SceneStatus.NOT_SCANNED, "scan asked")
    action = apply_outcome(queue, job, waiting, POLICY, now=T0)
    assert (action.name, action.delay) == ("waiting", 300.0)
    (item,) = queue.items()
    assert (item.attempts, item.waits, item.ready_at) == (0, 1, T0 + 300.0)
    assert item.wait_reason == "not_scanned: scan asked"
    job = queue.get(now=T0 + 300)
    assert job is not None
    custom = Outcome(SceneStatus.COVER_PENDING, "placeholder cover", delay=45.0)
    assert apply_outcome(queue, job, custom, POLICY, now=T0 + 300).delay == 45.0
    job = queue.get(now=T0 + 345)
    assert job is not None and job.waits == 2
    action = apply_outcome(queue, job, Outcome(SceneStatus.NOT_SCANNED, "x"), POLICY, now=T0 + 345)
    assert action.name == "failed"  # max_waits reached: no endless circling
    assert queue.failed.list()[0].message.startswith("still waiting after 2 waits")


def test_failed_goes_to_the_failed_list_with_its_status(queue: WorkQueueStore) -> None:
    job = _claim(queue)
    outcome = Outcome(SceneStatus.OUTSIDE_LIBRARIES, "/x is outside your Plex libraries")
    assert apply_outcome(queue, job, outcome, POLICY, now=T0).name == "failed"
    (entry,) = queue.failed.list()
    assert (entry.scene_id, entry.reason_class, entry.attempts) == (7, "outside_libraries", 1)
    assert entry.message == "/x is outside your Plex libraries"


def test_blocked_releases_the_job_untouched(queue: WorkQueueStore) -> None:
    job = _claim(queue)
    blocked = Outcome(SceneStatus.TOKEN_REJECTED, "401")
    action = apply_outcome(queue, job, blocked, POLICY, now=T0)
    assert action.name == "released"
    (item,) = queue.items()
    assert (item.state, item.attempts, item.waits, item.ready_at) == ("queued", 0, 0, T0)
    assert queue.failed.count() == 0


def test_an_outcome_for_a_scene_no_longer_in_flight_changes_nothing(
    queue: WorkQueueStore,
) -> None:
    job = _claim(queue)
    queue.drop(7)
    for outcome in (
        Outcome(SceneStatus.UNEXPECTED, "y"),
        Outcome(SceneStatus.NOT_SCANNED, "y"),
        Outcome(SceneStatus.PLEX_UNREACHABLE, "y"),
    ):
        assert apply_outcome(queue, job, outcome, POLICY, now=T0).name == "gone"
    # done() cannot tell "gone" from "finished": a synced scene counts as done either way.
    assert apply_outcome(queue, job, SYNCED, POLICY, now=T0).name == "done"
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
    ("error", "status", "treatment"),
    [
        (PlexServerDown("down"), SceneStatus.PLEX_UNREACHABLE, Treatment.BLOCK),
        (PlexAuthError("401"), SceneStatus.TOKEN_REJECTED, Treatment.BLOCK),
        (ConfigError("bad"), SceneStatus.SETTINGS_UNUSABLE, Treatment.BLOCK),
        (PlexTransient("503"), SceneStatus.PLEX_ERROR, Treatment.RETRY),
        (PlexNotFound("404"), SceneStatus.ITEM_GONE, Treatment.RETRY),
        (PlexBadRequest("400"), SceneStatus.PLEX_REFUSED, Treatment.FAIL),
        (StashUnavailable("refused"), SceneStatus.STASH_UNAVAILABLE, Treatment.RETRY),
        (StashQueryError(422, ["unknown field"]), SceneStatus.STASH_ERROR, Treatment.RETRY),
        (StashAuthError("401"), SceneStatus.STASH_ERROR, Treatment.RETRY),
        (LockTimeout("held"), SceneStatus.ERROR, Treatment.FAIL),
        (KeyError("title"), SceneStatus.UNEXPECTED, Treatment.RETRY),
    ],
)
def test_errors_map_to_statuses_by_class(
    error: Exception, status: SceneStatus, treatment: Treatment
) -> None:
    outcome = Outcome.from_error(error)
    assert outcome.status is status and outcome.treatment is treatment
    # only a Plex 5xx and Stash not answering count toward an outage
    outage = isinstance(error, PlexTransient) or type(error) is StashUnavailable
    assert outcome.is_outage == outage


def test_an_unclassified_error_keeps_its_class_in_the_stored_message_only() -> None:
    outcome = Outcome.from_error(KeyError("title"))
    assert outcome.message == "KeyError: 'title'" and outcome.status.phrase == "unexpected error"


def test_a_refusal_of_a_request_the_whole_batch_shared_is_retried() -> None:
    outcome = Outcome.from_error(PlexBadRequest("400 on the multi-fetch"), whole_batch=True)
    assert outcome.status is SceneStatus.PLEX_REFUSED and outcome.treatment is Treatment.RETRY
    assert Outcome.from_error(PlexServerDown("x"), whole_batch=True).treatment is Treatment.BLOCK


def test_an_outcome_needs_a_status() -> None:
    with pytest.raises(TypeError, match="SceneStatus"):
        Outcome("done")  # type: ignore[arg-type]


def _streak(order: list[int], outcomes: dict[int, Outcome], streak: OutageStreak) -> list[str]:
    """What the step does with one batch: see each outcome in order (stop at a trip), then
    settle; the treatments in scene order."""
    streak.see_all(outcomes[sid] for sid in order)
    result = streak.settle(outcomes)
    return [result[sid].treatment.value for sid in sorted(result)]


def test_a_streak_of_outage_retries_blocks_the_batch_without_spending_attempts() -> None:
    from worker.outcomes import TRANSIENT_STREAK

    batch = {sid: PLEX_503 for sid in range(1, TRANSIENT_STREAK + 1)}
    batch[99] = Outcome(SceneStatus.PLEX_REFUSED, "400")  # a scene's own fault stays its own
    streak = OutageStreak()
    assert _streak(sorted(batch), batch, streak) == ["block"] * TRANSIENT_STREAK + ["fail"]
    assert streak.count == TRANSIENT_STREAK and streak.tripped


def test_one_scene_short_of_the_streak_or_a_success_between_stays_a_retry() -> None:
    from worker.outcomes import TRANSIENT_STREAK

    down = Outcome(SceneStatus.STASH_UNAVAILABLE, "reset")
    short = {sid: down for sid in range(1, TRANSIENT_STREAK)}
    streak = OutageStreak()
    assert _streak(sorted(short), short, streak) == ["retry"] * (TRANSIENT_STREAK - 1)
    assert streak.count == TRANSIENT_STREAK - 1
    # ... but the streak carries over to the next batch of the same run
    assert _streak([50], {50: down}, streak) == ["block"]
    mixed = {1: down, 2: down, 3: SYNCED, 4: down, 5: down, 6: down}
    streak = OutageStreak()
    streak.count = 2
    assert _streak(sorted(mixed), mixed, streak).count("retry") == 5 and streak.count == 3
    # other retry statuses (a deterministic 500 is a Plex error; a gone key is not) say nothing
    other = {sid: Outcome(SceneStatus.ITEM_GONE, "404") for sid in range(1, 10)}
    assert _streak(sorted(other), other, OutageStreak()) == ["retry"] * 9
    # nor does a scene that never reached Plex (not pushed) end a streak
    streak = OutageStreak()
    skipped = {1: down, 2: down, 3: Outcome(SceneStatus.NOT_ORGANIZED), 4: down}
    _streak(sorted(skipped), skipped, streak)
    assert streak.count == 3


def test_a_blocked_outcome_blocks_the_batch_s_outage_retries_too() -> None:
    batch = {
        1: Outcome(SceneStatus.PLEX_ERROR, "truncated answer"),
        2: Outcome(SceneStatus.PLEX_UNREACHABLE, "refused"),
        3: Outcome(SceneStatus.ITEM_GONE, "404"),
    }
    assert _streak([1, 2, 3], batch, OutageStreak()) == ["block", "block", "retry"]


def test_a_success_that_started_before_the_streak_does_not_end_it() -> None:
    down = Outcome(SceneStatus.STASH_UNAVAILABLE, "reset")
    streak = OutageStreak()
    for _ in range(3):
        streak.see(down)
    streak.see(SYNCED, fresh=False)  # in progress since before Stash went away
    assert streak.count == 3
    streak.see(SYNCED)  # started after: Stash answers again
    assert streak.count == 0
