"""The wake-up rule (SPEC §2.2, amended), shared by hooks and the worker: start our "Process
Queue" task unless one of ours already waits behind every other waiting job.

Standard library only (hooks import it); `stash.hookcalls` and its `http.client` load only
when Stash must really be asked. Our job is recognised in Stash's job list by its
description, `Running plugin task: Stash2Plex: Process Queue` (status READY = not started;
a RUNNING one may be finishing and does not count).

The marker file `wake_requested` keeps most hooks from asking Stash at all:
- written ("requested", time) *before* Stash is asked, created exclusively so that of
  many parallel hooks exactly one asks; a worker that starts at once always finds it and
  deletes it; a jobQueue check that finds our job still waiting (a long scan holds Stash's
  queue) leaves it refreshed;
- a hook seeing a "requested" marker younger than MARKER_TTL_S skips both GraphQL calls;
  an older one is verified with jobQueue;
- the worker deletes it when it starts (under its lock) and again right before its final
  look at the inbox, so an edit landing while the worker finishes either is seen by that
  look or finds no marker and asks Stash (lost-wakeup rule, docs/worker.md);
- a failed request leaves a "failed" marker: for FAILURE_BACKOFF_S hooks do not retry (a
  down or hanging Stash would otherwise cost every hook of a bulk edit its timeout).
Stash unreachable: one warning, and the work stays recorded for the next run. Never call
this while holding a database write transaction (starting a task can make Stash run hooks
synchronously).

Every invocation that leaves work behind (both hook handlers, every task) applies the rule
through `wake_if_due`; only the worker's own continuation request calls `wake_worker`
directly (it always asks Stash and has already decided that work is due).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from runtime.context import Context
    from stash.log import StashLog
    from stash.protocol import JobInfo
    from validation.snapshot import Snapshot

__all__ = [
    "ALREADY_QUEUED",
    "BACKOFF",
    "FAILURE_BACKOFF_S",
    "MARKER_FILE",
    "MARKER_TTL_S",
    "NONE_WAITING",
    "NOT_STARTED",
    "PENDING",
    "REQUESTED",
    "UNREACHABLE",
    "WORKER_JOB_DESCRIPTION",
    "WORKER_TASK_NAME",
    "clear_marker",
    "is_our_waiting_job",
    "others_waiting",
    "our_job_waits_last",
    "read_marker",
    "wake_blocker",
    "wake_if_due",
    "wake_worker",
    "write_marker",
]

PLUGIN_ID = "Stash2Plex"
WORKER_TASK_NAME = "Stash2Plex: Process Queue"
WORKER_JOB_DESCRIPTION = "Running plugin task: " + WORKER_TASK_NAME
MARKER_FILE = "wake_requested"
MARKER_TTL_S = 120.0
FAILURE_BACKOFF_S = 30.0
HOOK_TIMEOUT_S = 2.0

# What wake_worker did.
REQUESTED = "requested"  # runPluginTask accepted
ALREADY_QUEUED = "already queued"  # our job is waiting in Stash's queue
PENDING = "pending"  # a fresh marker says a request is on its way
BACKOFF = "backoff"  # a request failed moments ago; not retried yet
UNREACHABLE = "unreachable"  # Stash could not be asked; work stays recorded
NOT_STARTED = "not started"  # wake_if_due: "not started: <wake_blocker's reason>"
NONE_WAITING = "no other job waiting"  # after_others: nothing to run after

_REQUESTED_STATE = "requested"
_FAILED_STATE = "failed"


def _marker_path(data_dir: str | os.PathLike[str]) -> str:
    return os.path.join(os.fspath(data_dir), MARKER_FILE)


def read_marker(data_dir: str | os.PathLike[str]) -> tuple[str, float] | None:
    """(state, time) of the marker, or None when absent or unreadable (= ask Stash)."""
    try:
        with open(_marker_path(data_dir), encoding="ascii", errors="replace") as handle:
            state, _, stamp = handle.read(100).strip().partition(" ")
        return state, float(stamp)
    except (OSError, ValueError):
        return None


def write_marker(data_dir: str | os.PathLike[str], state: str, now: float) -> None:
    """Advisory only: a torn or lost write merely costs one jobQueue check later."""
    with open(_marker_path(data_dir), "w", encoding="ascii") as handle:
        handle.write(f"{state} {now:.3f}\n")


def clear_marker(data_dir: str | os.PathLike[str]) -> None:
    try:
        os.remove(_marker_path(data_dir))
    except FileNotFoundError:
        pass


def is_our_waiting_job(status: str, description: str) -> bool:
    """Our worker task, queued and not yet started."""
    return status == "READY" and description.strip() == WORKER_JOB_DESCRIPTION


def others_waiting(jobs: Iterable[JobInfo]) -> bool:
    """Some job that is not our worker waits (READY) in Stash's queue."""
    return any(
        job.status == "READY" and not is_our_waiting_job(job.status, job.description)
        for job in jobs
    )


def our_job_waits_last(jobs: Iterable[JobInfo]) -> bool:
    """One of ours waits (READY) behind the last waiting job that is not ours: the wake-up
    rule's reason to skip asking. `jobs` in jobQueue order, Stash's first-in-first-out
    order (pkg/job/manager.go): a run of ours queued before another job runs before it, so
    it would miss what that job changes without a hook (docs/worker.md, amendment of
    SPEC §2.2). With no other job waiting this is SPEC's "one of ours is queued"."""
    last = False
    for job in jobs:
        if job.status == "READY":
            last = is_our_waiting_job(job.status, job.description)
    return last


def _skip_by_marker(marker: tuple[str, float] | None, now: float) -> str | None:
    if marker is None:
        return None
    state, at = marker
    age = now - at
    if state == _REQUESTED_STATE and 0.0 <= age < MARKER_TTL_S:
        return PENDING
    if state == _FAILED_STATE and 0.0 <= age < FAILURE_BACKOFF_S:
        return BACKOFF
    return None


def _claim_marker(data_dir: str | os.PathLike[str], now: float) -> str | None:
    """Become the one hook that asks Stash: None when claimed, else why not.

    Hooks of parallel edits arrive together; creating the marker exclusively lets exactly
    one of them ask Stash while the others see it PENDING. A stale or failed marker is
    simply overwritten (rare: two hooks may then both ask, costing one extra job).
    """
    path = _marker_path(data_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        marker = read_marker(data_dir)
        skipped = _skip_by_marker(marker, now)
        if skipped is not None:
            return skipped  # another hook claimed it meanwhile
        write_marker(data_dir, _REQUESTED_STATE, now)
        return None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(f"{_REQUESTED_STATE} {now:.3f}\n")
    return None


def wake_blocker(
    data_dir: str | os.PathLike[str], snapshot: Snapshot, now: float | None = None
) -> str | None:
    """Why not to wake the worker at all (None: go ahead).

    The settings snapshot says Plex is not set up (the worker would only repeat the setup
    message; an absent snapshot does not count: the worker writes it), `paused` is on, or
    the circuit is open and was probed moments ago. Work is recorded regardless.
    """
    if snapshot.written_at is not None and not snapshot.configured:
        return "Plex is not set up"
    if snapshot.settings.get("paused") is True:
        return "paused"
    from runtime.circuit import Circuit

    if not Circuit(data_dir).wake_allowed(now):
        return "circuit open"
    return None


def wake_worker(
    data_dir: str | os.PathLike[str],
    server_connection: Mapping[str, object],
    log: StashLog,
    *,
    now: float | None = None,
    use_marker: bool = True,
    timeout: float = HOOK_TIMEOUT_S,
    backoff: bool = True,
    after_others: bool = False,
) -> str:
    """Apply the wake-up rule; returns one of REQUESTED, ALREADY_QUEUED, PENDING, BACKOFF,
    UNREACHABLE. `use_marker=False` (the worker) always asks Stash. `backoff=False` (a task
    that leaves work behind) asks even right after a failed request: the backoff spares
    hooks the timeout, and a task runs only when Stash answers. `after_others` (the worker
    at its end, with `use_marker=False`) asks only when another job waits, and returns
    NONE_WAITING otherwise. Never raises for Stash failures (one warning instead)."""
    now = time.time() if now is None else now
    if use_marker:
        marker = read_marker(data_dir)
        if not backoff and marker is not None and marker[0] == _FAILED_STATE:
            marker = None
            clear_marker(data_dir)
        skipped = _skip_by_marker(marker, now) or _claim_marker(data_dir, now)
        if skipped is not None:
            return skipped
    elif not after_others:
        write_marker(data_dir, _REQUESTED_STATE, now)
    from base.errors import StashError
    from stash import hookcalls
    from stash.connection import StashEndpoint

    endpoint = StashEndpoint.from_server_connection(server_connection)
    for secret in endpoint.secrets():
        log.add_secret(secret)
    try:
        jobs = hookcalls.job_queue(endpoint, timeout=timeout)
        if after_others and not others_waiting(jobs):
            return NONE_WAITING
        if our_job_waits_last(jobs):
            return ALREADY_QUEUED  # the marker written above stands for it
        if after_others:  # decided only now: a marker left without a request mutes hooks
            write_marker(data_dir, _REQUESTED_STATE, now)
        hookcalls.run_plugin_task(endpoint, PLUGIN_ID, WORKER_TASK_NAME, timeout=timeout)
    except StashError as exc:
        write_marker(data_dir, _FAILED_STATE, now)
        log.warning(
            f"Could not start '{WORKER_TASK_NAME}': {exc}. The work stays recorded and "
            "is processed by the next run."
        )
        return UNREACHABLE
    return REQUESTED


def wake_if_due(
    ctx: Context,
    due: bool,
    *,
    backoff: bool,
    snapshot: Snapshot | None = None,
    now: float | None = None,
) -> str | None:
    """The wake-up rule for an invocation that may leave work behind. None when nothing is
    `due`; "not started: <why>" when `wake_blocker` forbids waking (the work stays recorded);
    else what `wake_worker` did.

    `backoff`: hooks pass True (after a failed request they wait FAILURE_BACKOFF_S, or a down
    Stash would cost every hook of a bulk edit its timeout); tasks pass False (Stash just ran
    them, so it answers, and their work must not wait for some later invocation).
    `snapshot`: the settings snapshot the caller already read (default `ctx.snapshot()`).
    `now`: the caller's clock, for the circuit and the marker. Never call it with a database
    transaction open.
    """
    if not due:
        return None
    snapshot = ctx.snapshot() if snapshot is None else snapshot
    blocker = wake_blocker(ctx.data_dir, snapshot, now)
    if blocker is not None:
        return f"{NOT_STARTED}: {blocker}"
    return wake_worker(
        ctx.data_dir, ctx.invocation.server_connection, ctx.log, now=now, backoff=backoff
    )
