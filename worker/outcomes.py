"""What processing one scene produced (`Outcome`), and THE one switch turning it into the
queue action (`apply_outcome`): done, retry with backoff and jitter, timed wait, failed list,
or released untouched (SPEC §2.3; STYLE "one outcome, one switch").

The policy numbers live in `RetryPolicy`. Backoff is per scene: `WorkQueue.retry` stores the
attempt count with the row, and only a success (`done`) resets it. A `retry` on the last
allowed attempt (`job.attempts + 1 >= max_retries`) goes to the failed list instead; a scene
still `wait`ing after `max_waits` timed waits (a day by default) is failed too, so a file
Plex never scans does not circle forever. `blocked` never touches a job's counters: the
scene is released as it was and the run stops (the loop opens the circuit).
`TRANSIENT_STREAK` scenes in a row failing with `PlexTransient` (a Plex answering 503 while
it starts or maintains its database) or `StashUnavailable` (Stash gone while covers are
fetched) are an outage, not those scenes' fault: they turn into `blocked`
(`transient_outage`), so an outage costs no attempts and no request per scene.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from base.errors import (
    PlexAuthError,
    PlexNotFound,
    PlexServerDown,
    PlexTransient,
    Stash2PlexError,
    StashError,
)
from sync_queue.jobs import Job, WorkQueueStore
from sync_queue.sync_state import SceneSyncState

__all__ = [
    "BLOCKED",
    "FAILED",
    "KINDS",
    "OUTAGE_CLASSES",
    "RETRY",
    "STASH_UNAVAILABLE",
    "SYNCED",
    "TRANSIENT_CLASS",
    "TRANSIENT_STREAK",
    "UNCHANGED",
    "WAIT",
    "Action",
    "Outcome",
    "RetryPolicy",
    "apply_outcome",
    "backoff_delay",
    "is_outage",
    "outage_streak",
    "transient_outage",
]

SYNCED = "synced"
UNCHANGED = "unchanged"
RETRY = "retry"
WAIT = "wait"
BLOCKED = "blocked"
FAILED = "failed"
KINDS = (SYNCED, UNCHANGED, RETRY, WAIT, BLOCKED, FAILED)

# Action names (what the queue did), as counted in the run summary.
DONE = "done"  # finished; or queued once more when edited meanwhile (`rerun`)
RERUN = "rerun"
RETRIED = "retried"
WAITING = "waiting"
FAILED_ACTION = "failed"
RELEASED = "released"
GONE = "gone"  # the scene was no longer in flight (cleared or destroyed meanwhile)

# Scenes (across batches of one run) whose Plex requests failed transiently with no success
# in between before Plex counts as unavailable: one scene with a deterministic 500 never
# reaches it among healthy ones, a Plex answering 503 to everything does at once.
TRANSIENT_STREAK = 5
TRANSIENT_CLASS = "PlexTransient"
STASH_UNAVAILABLE = "StashUnavailable"
OUTAGE_CLASSES = (TRANSIENT_CLASS, STASH_UNAVAILABLE)


@dataclass(frozen=True)
class Outcome:
    """One scene's result. `reason_class` names the cause for retry/wait/blocked/failed
    (an exception class name such as `PlexTransient`, or a word such as `NotScannedYet`);
    `message` is one line for the log and the failed list. `delay` overrides the policy's
    fixed wait. `state` (synced/unchanged) is what the loop remembers as the scene's sync
    state before it marks the job done.
    """

    kind: str
    reason_class: str = ""
    message: str = ""
    delay: float | None = None
    state: SceneSyncState | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown outcome kind {self.kind!r} (known: {', '.join(KINDS)})")

    @classmethod
    def synced(cls, state: SceneSyncState | None = None, message: str = "") -> Outcome:
        return cls(SYNCED, message=message, state=state)

    @classmethod
    def unchanged(cls, state: SceneSyncState | None = None, message: str = "") -> Outcome:
        return cls(UNCHANGED, message=message, state=state)

    @classmethod
    def retry(cls, reason_class: str, message: str) -> Outcome:
        return cls(RETRY, reason_class, message)

    @classmethod
    def wait(cls, reason_class: str, message: str, delay: float | None = None) -> Outcome:
        return cls(WAIT, reason_class, message, delay=delay)

    @classmethod
    def blocked(cls, reason_class: str, message: str) -> Outcome:
        return cls(BLOCKED, reason_class, message)

    @classmethod
    def failed(cls, reason_class: str, message: str) -> Outcome:
        return cls(FAILED, reason_class, message)

    @classmethod
    def from_error(cls, exc: BaseException) -> Outcome:
        """The outcome of a scene whose processing raised `exc` (decided by class only).

        Plex unreachable or token rejected: blocked. Plex or Stash trouble worth another
        try (a 5xx, an item gone since the index was built): retry. Any other classified
        error: failed (permanent). Anything unclassified (a bug, hostile data tripping a
        library): retry, so it reaches the failed list after max_retries with its class
        name instead of stopping the queue.
        """
        name = type(exc).__name__
        message = str(exc) or name
        if isinstance(exc, (PlexServerDown, PlexAuthError)):
            return cls.blocked(name, message)
        if isinstance(exc, (PlexTransient, PlexNotFound, StashError)):
            return cls.retry(name, message)
        if isinstance(exc, Stash2PlexError):
            return cls.failed(name, message)
        return cls.retry(name, message)


@dataclass(frozen=True)
class RetryPolicy:
    """Numbers of the outcome switch. Defaults: 30 s × 2ⁿ up to 1 h, ±25 % jitter."""

    max_retries: int = 5
    base_delay_s: float = 30.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    jitter: float = 0.25
    wait_delay_s: float = 300.0
    max_waits: int = 288  # 288 × 5 min = one day of "not scanned yet"


@dataclass(frozen=True)
class Action:
    """What the switch did with one scene: `name` is one of the action names above."""

    scene_id: int
    name: str
    outcome: Outcome
    delay: float | None = None
    attempts: int | None = None


def backoff_delay(
    attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random
) -> float:
    """Delay before retry number `attempt` (1 = first retry): exponential, capped, jittered.

    `base × factor^(attempt-1)`, capped at `max_delay_s`, times a uniform factor in
    [1 - jitter, 1 + jitter], and never above `max_delay_s`. Jitter spreads the retries of
    scenes that failed together (e.g. one Plex hiccup) so they do not return as one burst.
    """
    exponent = max(0, attempt - 1)
    raw = policy.max_delay_s
    if exponent < 64:  # beyond that the cap has long been reached (and 2**big overflows)
        raw = min(policy.max_delay_s, policy.base_delay_s * policy.factor**exponent)
    spread = 1.0 + policy.jitter * (2.0 * rand() - 1.0)
    return max(0.0, min(policy.max_delay_s, raw * spread))


def apply_outcome(
    queue: WorkQueueStore,
    job: Job,
    outcome: Outcome,
    policy: RetryPolicy,
    *,
    rand: Callable[[], float] = random.random,
    now: float | None = None,
) -> Action:
    """THE switch: perform the queue action for `outcome` of the claimed `job`."""
    sid = job.scene_id
    kind = outcome.kind
    if kind in (SYNCED, UNCHANGED):
        if queue.done(sid, now):
            return Action(sid, RERUN, outcome)
        return Action(sid, DONE, outcome)
    if kind == RETRY:
        if job.attempts + 1 >= policy.max_retries:
            return _fail(queue, job, outcome, now, f"gave up after {job.attempts + 1} attempts: ")
        delay = backoff_delay(job.attempts + 1, policy, rand)
        attempts = queue.retry(sid, delay, outcome.reason_class, outcome.message, now)
        if attempts is None:
            return Action(sid, GONE, outcome)
        return Action(sid, RETRIED, outcome, delay=delay, attempts=attempts)
    if kind == WAIT:
        if job.waits + 1 > policy.max_waits:
            return _fail(queue, job, outcome, now, f"still waiting after {job.waits} waits: ")
        delay = policy.wait_delay_s if outcome.delay is None else max(0.0, outcome.delay)
        reason = f"{outcome.reason_class}: {outcome.message}" if outcome.message else ""
        if not queue.wait(sid, delay, reason or outcome.reason_class, now):
            return Action(sid, GONE, outcome)
        return Action(sid, WAITING, outcome, delay=delay)
    if kind == FAILED:
        return _fail(queue, job, outcome, now, "")
    # BLOCKED: back in the queue exactly as it was; the caller stops the run.
    if not queue.release(sid, now):
        return Action(sid, GONE, outcome)
    return Action(sid, RELEASED, outcome)


def is_outage(outcome: Outcome) -> bool:
    """A retry whose cause is Plex or Stash being unwell rather than the scene."""
    return outcome.kind == RETRY and outcome.reason_class in OUTAGE_CLASSES


def outage_streak(streak: int, outcome: Outcome) -> int:
    """The outage streak after `outcome`: Plex answered (synced, unchanged) resets it, an
    outage-class retry extends it, anything else (a file outside the libraries) leaves it."""
    if outcome.kind in (SYNCED, UNCHANGED):
        return 0
    return streak + 1 if is_outage(outcome) else streak


def transient_outage(
    order: Sequence[int], outcomes: Mapping[int, Outcome], streak: int
) -> tuple[dict[int, Outcome], int]:
    """`outcomes` of one batch, with every outage-class retry turned into `blocked` once the
    batch shows an outage: a `blocked` outcome, or a streak of `TRANSIENT_STREAK` outage-class
    retries with no success in between (in processing `order`, continuing `streak` from the
    previous batch); and the streak to carry on. The scene that met a connection cut halfway
    (a truncated answer) thus spends no attempt either."""
    tripped = False
    for sid in order:
        outcome = outcomes.get(sid)
        if outcome is None:
            continue
        if outcome.kind == BLOCKED:
            tripped = True
            break
        streak = outage_streak(streak, outcome)
        if streak >= TRANSIENT_STREAK:
            tripped = True
            break
    result = dict(outcomes)
    if tripped:
        for sid, outcome in outcomes.items():
            if is_outage(outcome):
                result[sid] = Outcome.blocked(outcome.reason_class, outcome.message)
    return result, streak


def _fail(
    queue: WorkQueueStore, job: Job, outcome: Outcome, now: float | None, prefix: str
) -> Action:
    reason = outcome.reason_class or outcome.kind
    if not queue.fail(job.scene_id, reason, prefix + (outcome.message or reason), now):
        return Action(job.scene_id, GONE, outcome)
    return Action(job.scene_id, FAILED_ACTION, outcome, attempts=job.attempts + 1)
