"""Write a small file atomically: temp file in the same folder, fsync, os.replace.

Standard library only. Readers see the old or the new content, never a torn file, and a
crash leaves at most a stray temp file (named `.<target>.*.tmp`) that nothing reads.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

__all__ = ["write_atomic"]

_REPLACE_ATTEMPTS = 6


def write_atomic(path: str, payload: bytes, sleep: Callable[[float], None] = time.sleep) -> None:
    """Replace `path` with `payload` durably; the folder is created when missing.

    os.replace is retried on PermissionError, which Windows raises while another process
    has the target open (a sharing violation); the temp file is removed on any failure.
    """
    import tempfile  # lazily: it costs ~10 ms, and the hook path only ever reads state

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        _replace_with_retry(tmp_path, path, sleep)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        raise
    _fsync_dir(folder)


def _replace_with_retry(source: str, target: str, sleep: Callable[[float], None]) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == _REPLACE_ATTEMPTS - 1:
                raise
            sleep(0.02 * (2**attempt))


def _fsync_dir(path: str) -> None:
    """Make the rename itself durable on POSIX; Windows cannot open a folder this way."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
