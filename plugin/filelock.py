"""A cross-process, cross-platform exclusive file lock with a timeout.

Standard library only: `fcntl.flock` on POSIX, `msvcrt.locking` on Windows. The lock dies
with its process (a SIGKILLed holder never leaves a stale lock behind). Acquisition polls
until `timeout` and then raises LockTimeout: never block forever (nested hooks can deadlock,
reference/stash.md §2.5).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from plugin.errors import LockTimeout

__all__ = ["FileLock"]

_POLL_S = 0.05


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """`with FileLock(path, timeout=5): ...` holds an exclusive lock on `path`.

    `timeout=0` tries once. Not re-entrant: a second FileLock on the same path, even in the
    same process, waits like any other holder would.
    """

    def __init__(self, path: Path, timeout: float, what: str = "") -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.what = what or self.path.name
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"{self.what} lock is already held by this object")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(
                    f"{self.what} is busy: another Stash2Plex process held it "
                    f"for more than {self.timeout:g} s"
                )
            time.sleep(_POLL_S)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
