"""Where installed dependencies live: one fresh folder per install, and a pointer file naming
the folder tasks use. Standard library only.

Stop in Stash is a SIGKILL that orphans child processes (pkg/plugin/raw.go), so an install
may be cut off at any instant while its pip keeps writing. Hence:
- each install writes into its own new folder `data/deps/<tag>-<requirements hash>-<unique>`
  (`<tag>`: interpreter and platform, compiled wheels differ per ABI); nothing ever writes
  into a folder some task already uses, and two installs never share one;
- only after the install finished and was verified is the pointer `data/deps/<tag>.current`
  replaced atomically (`base.fileio`) with the new folder's name, so a half-written folder
  is never used;
- no folder is ever moved or renamed (Windows cannot move a folder whose `.pyd` files a
  running task has loaded); only the small pointer file is replaced.
Old folders (and the pre-pointer `data/deps/<tag>` folder) are removed once no task can
still use them: see `remove_unused`.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from base.fileio import atomic_write_bytes

__all__ = [
    "UNUSED_AFTER_S",
    "current_folder",
    "deps_root",
    "interpreter_tag",
    "new_folder",
    "point_to",
    "remove_unused",
]

# A folder stops being used when the pointer moves away from it; a task that started before
# that may still import from it. No task runs anywhere near a day (Process Queue hands the
# job queue back every worker_time_slice), so a day after the pointer last moved, every
# other folder is unused.
UNUSED_AFTER_S = 24 * 3600.0
_POINTER_SUFFIX = ".current"


def interpreter_tag() -> str:
    return f"{sys.implementation.cache_tag}-{sys.platform}-{platform.machine().lower()}"


def deps_root(data_dir: Path) -> Path:
    return Path(data_dir) / "deps"


def _pointer(data_dir: Path, tag: str) -> Path:
    return deps_root(data_dir) / (tag + _POINTER_SUFFIX)


def current_folder(data_dir: Path, tag: str | None = None) -> Path | None:
    """The folder the pointer names, when it names an existing folder of this interpreter."""
    tag = tag or interpreter_tag()
    try:
        name = _pointer(data_dir, tag).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not (name == tag or name.startswith(tag + "-")) or os.sep in name or "/" in name:
        return None  # not ours, or a path trying to leave data/deps
    folder = deps_root(data_dir) / name
    return folder if folder.is_dir() else None


def new_folder(data_dir: Path, requirements: bytes, tag: str | None = None) -> Path:
    """A new, empty folder for one install (created here; never shared with another)."""
    tag = tag or interpreter_tag()
    digest = hashlib.sha256(requirements).hexdigest()[:12]
    root = deps_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    while True:
        folder = root / f"{tag}-{digest}-{os.getpid()}-{os.urandom(4).hex()}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder


def point_to(data_dir: Path, folder: Path, tag: str | None = None) -> None:
    """Make `folder` the one tasks use (atomic: readers see the old name or the new one)."""
    tag = tag or interpreter_tag()
    atomic_write_bytes(_pointer(data_dir, tag), (folder.name + "\n").encode("utf-8"))


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def remove_unused(
    data_dir: Path,
    tag: str | None = None,
    *,
    now: float | None = None,
    unused_after: float = UNUSED_AFTER_S,
) -> list[str]:
    """Remove this interpreter's folders no task can still use; returns their names.

    A folder other than the current one is removed when the pointer last moved more than
    `unused_after` ago (a task that started with that folder has ended since) and the
    folder itself was last changed that long ago (an install still writing into it, even an
    orphaned pip, keeps it fresh). Nothing is removed before a first pointer exists. Removal
    is best effort: what cannot be deleted now (a file in use on Windows) is retried by a
    later task.
    """
    tag = tag or interpreter_tag()
    now = time.time() if now is None else now
    pointer = _pointer(data_dir, tag)
    current = current_folder(data_dir, tag)
    if current is None or _age(pointer, now) < unused_after:
        return []
    removed = []
    try:
        entries = list(os.scandir(deps_root(data_dir)))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        ours = name == tag or name.startswith(tag + "-")
        stray_tmp = name.startswith(f".{pointer.name}.") and name.endswith(".tmp")
        if not (ours or stray_tmp) or name == current.name:
            continue
        path = Path(entry.path)
        if _age(path, now) < unused_after:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                continue
        removed.append(name)
    return removed
