"""The cross-process worker lock: at most one worker drains the queue at a time.

Standard library only. An OS file lock on `data_dir/worker.lock`, so it is released by the
kernel when the holder dies, SIGKILL included (no stale lock files, no pid guessing):
`fcntl.flock` on POSIX (per open file, so a second handle in the same process is refused
too; on NFS Linux maps it to a POSIX record lock), `msvcrt.locking` on one byte on Windows.
Acquiring never blocks. The file's text (pid, time) is informational only.

`WorkerLock` is the project's one OS file lock; `plugin.filelock.FileLock` polls it with a
timeout for the dependency installer.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["LOCK_FILE", "WorkerLock", "worker_lock"]

LOCK_FILE = "worker.lock"
# Windows: lock a byte far past the text, so other processes can still read who holds it.
_WIN_LOCK_OFFSET = 1 << 20

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:  # EACCES / EDEADLOCK: held by another handle
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import errno
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class WorkerLock:
    """Non-blocking exclusive lock on a file; `with WorkerLock(p) as acquired: ...`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock; False at once if another process (or handle) holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(fd):
                os.close(fd)
                return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._note_owner(fd)
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def owner(self) -> str:
        """What the holder wrote ("pid 123 since 1700000000"), or "" if unknown."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                return handle.read(200).strip()
        except OSError:
            return ""

    @staticmethod
    def _note_owner(fd: int) -> None:
        text = f"pid {os.getpid()} since {int(time.time())}\n".encode()
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, text)
        except OSError:
            pass  # informational only

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


def worker_lock(data_dir: str | os.PathLike[str]) -> WorkerLock:
    """The worker lock of a data folder (not yet acquired)."""
    return WorkerLock(os.path.join(os.fspath(data_dir), LOCK_FILE))
