"""The wake-up rule (SPEC §2.2, amended), shared by hooks and the worker: start our "Process
Queue" task unless one of ours already waits behind every other waiting job.

Standard library only (hooks import it); `stash.hookcalls` and its `http.client` load only
when Stash must really be asked. The task is started under the plugin's id, its manifest's
file name (`runtime.plugin_id`). Our job is recognised in Stash's job list by its
description, which carries the task name, not the id: `Running plugin task: Stash2Plex:
Process Queue` (status READY = not started; a RUNNING one may be finishing and does not
count).

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
  down or hanging Stash would otherwise cost every hook of a bulk edit its timeout);
- an accepted request adds the job id Stash returned. Stash accepts `runPluginTask` for any
  plugin id and task name and fails the job only when it runs
  (internal/manager/task_plugin.go), so a "requested" marker that outlives MARKER_TTL_S is
  checked with findJob first: a FAILED job means Stash could not start our task (an id
  that matches no manifest, a disabled plugin); that is said in one warning and treated
  like a failed request. One request more, only for a stale marker with a job id.
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
    "JOB_FAILED",
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
    "failed_job_line",
    "is_our_waiting_job",
    "others_waiting",
    "our_job_waits_last",
    "read_marker",
    "read_marker_job",
    "wake_blocker",
    "wake_if_due",
    "wake_worker",
    "write_marker",
]

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
JOB_FAILED = "job failed"  # Stash failed the job we requested before our task ran
NOT_STARTED = "not started"  # wake_if_due: "not started: <wake_blocker's reason>"
NONE_WAITING = "no other job waiting"  # after_others: nothing to run after

_REQUESTED_STATE = "requested"
_FAILED_STATE = "failed"


def _marker_path(data_dir: str | os.PathLike[str]) -> str:
    return os.path.join(os.fspath(data_dir), MARKER_FILE)


def _read_marker_line(data_dir: str | os.PathLike[str]) -> tuple[str, float, str | None] | None:
    try:
        with open(_marker_path(data_dir), encoding="ascii", errors="replace") as handle:
            state, _, rest = handle.read(100).strip().partition(" ")
        stamp, _, job_id = rest.partition(" ")
        return state, float(stamp), (job_id if job_id.isdigit() else None)
    except (OSError, ValueError):
        return None


def read_marker(data_dir: str | os.PathLike[str]) -> tuple[str, float] | None:
    """(state, time) of the marker, or None when absent or unreadable (= ask Stash)."""
    line = _read_marker_line(data_dir)
    return None if line is None else (line[0], line[1])


def read_marker_job(data_dir: str | os.PathLike[str]) -> str | None:
    """The id of the job the marker's request created, when it recorded one."""
    line = _read_marker_line(data_dir)
    return None if line is None else line[2]


def _marker_text(state: str, now: float, job_id: str | None) -> str:
    return f"{state} {now:.3f}" + (f" {job_id}" if job_id else "") + "\n"


def write_marker(
    data_dir: str | os.PathLike[str], state: str, now: float, job_id: str | None = None
) -> None:
    """Advisory only: a torn or lost write merely costs one jobQueue check later."""
    with open(_marker_path(data_dir), "w", encoding="ascii") as handle:
        handle.write(_marker_text(state, now, job_id))


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


def _claim_marker(
    data_dir: str | os.PathLike[str], now: float, job_id: str | None = None
) -> str | None:
    """Become the one hook that asks Stash: None when claimed, else why not.

    Hooks of parallel edits arrive together; creating the marker exclusively lets exactly
    one of them ask Stash while the others see it PENDING. A stale or failed marker is
    simply overwritten (rare: two hooks may then both ask, costing one extra job); it keeps
    `job_id`, the stale marker's job, so a job still waiting stays checkable.
    """
    path = _marker_path(data_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        marker = read_marker(data_dir)
        skipped = _skip_by_marker(marker, now)
        if skipped is not None:
            return skipped  # another hook claimed it meanwhile
        write_marker(data_dir, _REQUESTED_STATE, now, job_id)
        return None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(_marker_text(_REQUESTED_STATE, now, None))
    return None


def _note_job(data_dir: str | os.PathLike[str], now: float, job_id: str) -> None:
    """Add the job id to the marker this request wrote, if it is still ours.

    A worker that started meanwhile deleted the marker: it must stay deleted (lost-wakeup
    rule). The read-then-write gap is microseconds against a process start of 100 ms; if it
    is ever lost, the marker merely goes stale and is verified after MARKER_TTL_S.
    """
    if read_marker(data_dir) == (_REQUESTED_STATE, float(f"{now:.3f}")):
        write_marker(data_dir, _REQUESTED_STATE, now, job_id)


def failed_job_line(job_id: str) -> str:
    """The warning for a job Stash failed before our task ran."""
    return (
        f"Stash could not start '{WORKER_TASK_NAME}': its job {job_id} failed before the task "
        "ran (Stash's log says why). Usually the plugin's id does not match its manifest or "
        "the plugin is disabled: keep the .yml next to Stash2Plex.py, enable the plugin and "
        "reload plugins. The work stays recorded."
    )


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
    plugin_dir: str | os.PathLike[str] | None = None,
    after_others: bool = False,
) -> str:
    """Apply the wake-up rule; returns one of REQUESTED, ALREADY_QUEUED, PENDING, BACKOFF,
    UNREACHABLE, JOB_FAILED, NONE_WAITING. `use_marker=False` (the worker) always asks Stash.
    `backoff=False` (a task that leaves work behind) asks even right after a failed request:
    the backoff spares hooks the timeout, and a task runs only when Stash answers.
    `plugin_dir`: the folder of Stash2Plex.py, whose manifest names the plugin id (default:
    `PluginDir` of the server connection). `after_others` (the worker at its end, with
    `use_marker=False`) asks only when another job waits, and returns NONE_WAITING otherwise.
    Never raises for Stash failures (one warning instead)."""
    now = time.time() if now is None else now
    stale_job: str | None = None
    if use_marker:
        line = _read_marker_line(data_dir)
        marker = None if line is None else (line[0], line[1])
        if not backoff and marker is not None and marker[0] == _FAILED_STATE:
            marker = line = None
            clear_marker(data_dir)
        skipped = _skip_by_marker(marker, now)
        if skipped is not None:
            return skipped
        if line is not None and line[0] == _REQUESTED_STATE:
            stale_job = line[2]
        skipped = _claim_marker(data_dir, now, stale_job)
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
        if stale_job is not None:
            job = hookcalls.find_job(endpoint, stale_job, timeout=timeout)
            # Job ids restart with Stash: only a failed job of our task counts.
            if (
                job is not None
                and job.status == "FAILED"
                and job.description.strip() == WORKER_JOB_DESCRIPTION
            ):
                write_marker(data_dir, _FAILED_STATE, now)
                log.warning(failed_job_line(stale_job))
                return JOB_FAILED
        jobs = hookcalls.job_queue(endpoint, timeout=timeout)
        if after_others and not others_waiting(jobs):
            return NONE_WAITING
        if our_job_waits_last(jobs):
            return ALREADY_QUEUED  # the marker written above stands for it
        if after_others:  # decided only now: a marker left without a request mutes hooks
            write_marker(data_dir, _REQUESTED_STATE, now)
        job_id = hookcalls.run_plugin_task(
            endpoint, _plugin_id(plugin_dir, server_connection), WORKER_TASK_NAME, timeout=timeout
        )
    except StashError as exc:
        write_marker(data_dir, _FAILED_STATE, now)
        log.warning(
            f"Could not start '{WORKER_TASK_NAME}': {exc}. The work stays recorded and "
            "is processed by the next run."
        )
        return UNREACHABLE
    _note_job(data_dir, now, job_id)
    return REQUESTED


def _plugin_id(
    plugin_dir: str | os.PathLike[str] | None, server_connection: Mapping[str, object]
) -> str:
    from runtime.plugin_id import plugin_id_of

    if plugin_dir is None:
        given = server_connection.get("PluginDir")
        plugin_dir = given if isinstance(given, str) and given else None
    return plugin_id_of(plugin_dir)[0]


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
        ctx.data_dir,
        ctx.invocation.server_connection,
        ctx.log,
        now=now,
        backoff=backoff,
        plugin_dir=ctx.plugin_dir,
    )
