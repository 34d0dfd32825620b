"""A cross-process, cross-platform exclusive file lock with a timeout.

Standard library only: `sync_queue.lock.WorkerLock` (`fcntl.flock` on POSIX,
`msvcrt.locking` on Windows), polled until a timeout. The lock dies
with its process (a SIGKILLed holder never leaves a stale lock behind). Acquisition polls
until `timeout` and then raises LockTimeout: never block forever (nested hooks can deadlock,
reference/stash.md §2.5).
"""

from __future__ import annotations

import time
from pathlib import Path

from base.errors import LockTimeout
from sync_queue.lock import WorkerLock

__all__ = ["FileLock"]

_POLL_S = 0.05


class FileLock:
    """`with FileLock(path, timeout=5): ...` holds an exclusive lock on `path`.

    `timeout=0` tries once. Not re-entrant: a second FileLock on the same path, even in the
    same process, waits like any other holder would.
    """

    def __init__(self, path: Path, timeout: float, what: str = "") -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.what = what or self.path.name
        self._lock: WorkerLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self) -> None:
        if self._lock is not None:
            raise RuntimeError(f"{self.what} lock is already held by this object")
        lock = WorkerLock(self.path)
        deadline = time.monotonic() + self.timeout
        while not lock.acquire():
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"{self.what} is busy: another Stash2Plex process held it "
                    f"for more than {self.timeout:g} s"
                )
            time.sleep(_POLL_S)
        self._lock = lock

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
