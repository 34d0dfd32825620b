"""Crash-safe file replacement: write a temporary sibling, fsync, then `os.replace` it.

Standard library only and free of project imports, so every layer may use it (the settings
snapshot, the scheduler state, the circuit, the scan ledger, ...). A SIGKILL at any instant
leaves either the old or the new content, at worst plus a stray `.<name>.*.tmp` nothing
reads. On Windows `os.replace` fails while another process has the target open (a sharing
violation), so it is retried with a short backoff before giving up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write_bytes"]

_REPLACE_ATTEMPTS = 6
_FIRST_PAUSE_S = 0.02  # doubles per attempt: at most ~0.6 s in all


def atomic_write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Replace `path` with `data` durably; the parent folder is created when missing."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for attempt in range(_REPLACE_ATTEMPTS):
            try:
                os.replace(tmp, target)
                break
            except PermissionError:
                if attempt == _REPLACE_ATTEMPTS - 1:
                    raise
                sleep(_FIRST_PAUSE_S * 2**attempt)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable on POSIX; Windows cannot open a folder this way."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
