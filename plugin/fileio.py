"""Crash-safe file replacement: write a temporary sibling, fsync, then `os.replace` it.

Standard library only. A SIGKILL at any instant leaves either the old or the new content.
On Windows `os.replace` fails while another process has the target open (sharing
violation), so it is retried briefly before giving up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["atomic_write_bytes"]

_REPLACE_ATTEMPTS = 20
_REPLACE_PAUSE_S = 0.05


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the parent folder must exist."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for attempt in range(_REPLACE_ATTEMPTS):
            try:
                os.replace(tmp, path)
                return
            except PermissionError:
                if attempt == _REPLACE_ATTEMPTS - 1:
                    raise
                time.sleep(_REPLACE_PAUSE_S)
    finally:
        if tmp.exists():
            tmp.unlink()
