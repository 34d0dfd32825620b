"""What processing one scene produced (`Outcome`), THE one switch turning it into the queue
action (`apply_outcome`), and the run's outage streak (`OutageStreak`) (SPEC §2.3; STYLE "one
outcome, one switch").

An outcome carries the scene's `SceneStatus` (base/status.py); the switch decides on the
status's treatment: done, retry with backoff and jitter, timed wait, failed list, or released
untouched. The policy numbers live in `RetryPolicy`. Backoff is per scene: `WorkQueue.retry`
stores the attempt count with the row, and only a success (`done`) resets it. A retry on the
last allowed attempt (`job.attempts + 1 >= max_retries`) goes to the failed list instead; a
scene still waiting after `max_waits` timed waits (a day by default) is failed too, so a file
Plex never scans does not circle forever. A block never touches a job's counters: the scene
is released as it was and the run stops (the loop opens the circuit).

Errors become outcomes in one place, `Outcome.from_error`, by exception class only.
`TRANSIENT_STREAK` scenes in a row failing with an outage status (Plex answering errors
such as a 503 while it starts or maintains its database; Stash gone while covers are
fetched) are an outage, not those scenes' fault: `OutageStreak` turns them into blocks
(`Outcome.escalated`), so an outage costs no attempts and no request per scene.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from base.status import SceneStatus, Treatment, status_of_error
from sync_queue.jobs import Job, WorkQueueStore

__all__ = [
    "DONE",
    "FAILED",
    "GONE",
    "RELEASED",
    "RERUN",
    "RETRIED",
    "TRANSIENT_STREAK",
    "WAITING",
    "Action",
    "OutageStreak",
    "Outcome",
    "RetryPolicy",
    "apply_outcome",
    "backoff_delay",
]

# Action names (what the queue did), as counted in the run summary.
DONE = "done"  # finished; or queued once more when edited meanwhile (`rerun`)
RERUN = "rerun"
RETRIED = "retried"
WAITING = "waiting"
FAILED = "failed"
RELEASED = "released"
GONE = "gone"  # the scene was no longer in flight (cleared or destroyed meanwhile)

# Scenes (across batches of one run) whose Plex requests failed transiently with no success
# in between before Plex counts as unavailable: one scene with a deterministic 500 never
# reaches it among healthy ones, a Plex answering 503 to everything does at once.
TRANSIENT_STREAK = 5


@dataclass(frozen=True)
class Outcome:
    """One scene's result: its `status`, and `message`, the detail kept with the queue row or
    failed entry and logged at debug (it may name Plex items and requests). `delay` overrides
    the policy's fixed wait. `written` names what a synced scene changed in Plex (fields,
    images), for the debug line. `override` replaces the status's treatment where the run,
    not the scene, decides: a block for an outage (`escalated`), a retry for a refusal of a
    request the whole batch shared.
    """

    status: SceneStatus
    message: str = ""
    delay: float | None = None
    written: tuple[str, ...] = ()
    override: Treatment | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, SceneStatus):
            raise TypeError(f"an outcome needs a SceneStatus, not {self.status!r}")

    @property
    def treatment(self) -> Treatment:
        return self.override or self.status.treatment

    @property
    def is_outage(self) -> bool:
        """A retry caused by Plex or Stash being unwell rather than by the scene."""
        return self.treatment is Treatment.RETRY and self.status.outage

    def escalated(self) -> Outcome:
        """This outcome as part of an outage: the scene is released untouched, the run stops."""
        return replace(self, override=Treatment.BLOCK)

    @classmethod
    def from_error(cls, exc: BaseException, *, whole_batch: bool = False) -> Outcome:
        """The outcome of a scene whose processing raised `exc`: its status by class
        (`base.status.status_of_error`), except that a refusal of a request serving the
        `whole_batch` (a listing, a multi-fetch: not this scene's fault) is retried. An
        unclassified error keeps its class name in the message (shown at debug, kept in the
        failed list), so a bug can be reported."""
        message = str(exc) or type(exc).__name__
        status = status_of_error(exc)
        if status is SceneStatus.UNEXPECTED:
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if whole_batch and status.treatment is Treatment.FAIL:
            return cls(status, message, override=Treatment.RETRY)
        return cls(status, message)


class OutageStreak:
    """THE outage streak of one worker run: outage-status retries since Plex last answered.

    Owned by the run's Plex step (one instance per run, so it carries over from batch to
    batch); nothing else counts. `see` each outcome in processing order: Plex answering
    (synced, unchanged) resets the streak, an outage retry extends it, anything else (a file
    outside the libraries, a scene not pushed) leaves it. It trips on a blocked outcome or
    once `limit` outage retries follow each other; then `settle` turns every outage retry of
    the batch into a block, and the scenes not yet processed are left out (released).
    """

    def __init__(self, limit: int = TRANSIENT_STREAK) -> None:
        self.limit = limit
        self.count = 0
        self.tripped = False

    def see(self, outcome: Outcome, *, new_event: bool = True, fresh: bool = True) -> bool:
        """Count one outcome; True once the run shows an outage. An outage retry that failed
        while in flight with one already counted (`new_event=False`, `worker.parallel`) is
        part of that event: it does not extend the streak. A success that started before the
        streak's first failure (`fresh=False`: a scene in progress with it) says nothing of
        now, so it does not end the streak."""
        if outcome.treatment is Treatment.BLOCK:
            self.tripped = True
        elif outcome.status.pushed:
            if fresh:
                self.count = 0
        elif outcome.is_outage and new_event:
            self.count += 1
            if self.count >= self.limit:
                self.tripped = True
        return self.tripped

    def see_all(self, outcomes: Iterable[Outcome]) -> bool:
        for outcome in outcomes:
            if self.see(outcome):
                break
        return self.tripped

    def settle(self, outcomes: Mapping[int, Outcome]) -> dict[int, Outcome]:
        """`outcomes` of one batch, with every outage retry escalated once tripped."""
        if not self.tripped:
            return dict(outcomes)
        return {sid: o.escalated() if o.is_outage else o for sid, o in outcomes.items()}


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
    """THE switch: perform the queue action for `outcome` of the claimed `job`.

    Queue rows and failed entries store the status's value as their reason."""
    sid = job.scene_id
    treatment = outcome.treatment
    reason = outcome.status.value
    if treatment is Treatment.DONE:
        if queue.done(sid, now):
            return Action(sid, RERUN, outcome)
        return Action(sid, DONE, outcome)
    if treatment is Treatment.RETRY:
        if job.attempts + 1 >= policy.max_retries:
            return _fail(queue, job, outcome, now, f"gave up after {job.attempts + 1} attempts: ")
        delay = backoff_delay(job.attempts + 1, policy, rand)
        attempts = queue.retry(sid, delay, reason, outcome.message, now)
        if attempts is None:
            return Action(sid, GONE, outcome)
        return Action(sid, RETRIED, outcome, delay=delay, attempts=attempts)
    if treatment is Treatment.WAIT:
        if job.waits + 1 > policy.max_waits:
            return _fail(queue, job, outcome, now, f"still waiting after {job.waits} waits: ")
        delay = policy.wait_delay_s if outcome.delay is None else max(0.0, outcome.delay)
        wait_reason = f"{reason}: {outcome.message}" if outcome.message else reason
        if not queue.wait(sid, delay, wait_reason, now):
            return Action(sid, GONE, outcome)
        return Action(sid, WAITING, outcome, delay=delay)
    if treatment is Treatment.FAIL:
        return _fail(queue, job, outcome, now, "")
    # BLOCK: back in the queue exactly as it was; the caller stops the run.
    if not queue.release(sid, now):
        return Action(sid, GONE, outcome)
    return Action(sid, RELEASED, outcome)


def _fail(
    queue: WorkQueueStore, job: Job, outcome: Outcome, now: float | None, prefix: str
) -> Action:
    reason = outcome.status.value
    if not queue.fail(job.scene_id, reason, prefix + (outcome.message or reason), now):
        return Action(job.scene_id, GONE, outcome)
    return Action(job.scene_id, FAILED, outcome, attempts=job.attempts + 1)
