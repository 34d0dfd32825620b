"""Taking the worker lock, with the one hand-over a second worker waits for.

One worker at a time: a second worker exits at once saying one is running, because the
running one looks at the inbox again before it exits. The exception is a holder that is
already past that final look (its phase file says `finishing`): a worker started then would
otherwise exit while the holder exits too, and the edit that started it would wait for the
next invocation. So a worker that finds the lock held by a finishing holder waits (briefly,
polling) for the lock instead. The phase file is written only under the lock and stays
`finishing` after the holder is gone until the next holder overwrites it; a holder killed
by SIGKILL releases the OS lock, so a stale phase never makes anyone wait.

Inside Stash this never matters (its job queue runs one task at a time); it covers workers
started outside the job queue (tests, a manual run beside a queued task).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sync_queue.lock import WorkerLock, worker_lock

__all__ = ["FINISHING", "PHASE_FILE", "RUNNING", "acquire", "read_phase", "write_phase"]

PHASE_FILE = "worker_phase"
RUNNING = "running"
FINISHING = "finishing"
HANDOVER_WAIT_S = 15.0
_POLL_S = 0.05


def write_phase(data_dir: str | os.PathLike[str], phase: str) -> None:
    """Record the holder's phase (call only while holding the lock)."""
    path = os.path.join(os.fspath(data_dir), PHASE_FILE)
    with open(path, "w", encoding="ascii") as handle:
        handle.write(f"{phase} {os.getpid()}\n")


def read_phase(data_dir: str | os.PathLike[str]) -> str:
    try:
        with open(os.path.join(os.fspath(data_dir), PHASE_FILE), encoding="ascii") as handle:
            return handle.read(100).split(" ", 1)[0].strip()
    except (OSError, ValueError):
        return ""


def acquire(
    data_dir: str | os.PathLike[str],
    timer: Callable[[], float],
    sleep: Callable[[float], None],
    wait_s: float = HANDOVER_WAIT_S,
) -> WorkerLock | None:
    """The acquired worker lock, or None when another worker runs (and is not finishing)."""
    lock = worker_lock(data_dir)
    if lock.acquire():
        return lock
    if read_phase(data_dir) != FINISHING:
        return None
    deadline = timer() + wait_s
    while timer() < deadline:
        sleep(_POLL_S)
        if lock.acquire():
            return lock
        if read_phase(data_dir) != FINISHING:
            return None  # the holder went back to work: it will see what we came for
    return None
