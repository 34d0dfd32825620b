"""Where the plugin keeps its state: `$STASH_PLUGIN_DATA` or `<plugin folder>/data`.

Standard library only. The folder survives plugin updates (Stash removes only the files it
installed). `STASH2PLEX_DATA_DIR` overrides everything (tests, sandbox, unusual installs);
`STASH_PLUGIN_DATA` is honoured as Stash2Plex 1.x honoured it (reference/earlier-stash2plex.md
"Where its data lives"), so an upgrade in place finds its data where it left it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DATA_DIR_ENV",
    "PLUGIN_DATA_ENV",
    "ensure_data_dir",
    "legacy_data_dirs",
    "resolve_data_dir",
]

DATA_DIR_ENV = "STASH2PLEX_DATA_DIR"
PLUGIN_DATA_ENV = "STASH_PLUGIN_DATA"
DATA_DIR_NAME = "data"


def resolve_data_dir(plugin_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """The data folder for the plugin installed in `plugin_dir` (not created here)."""
    env = os.environ if env is None else env
    for name in (DATA_DIR_ENV, PLUGIN_DATA_ENV):
        override = env.get(name, "").strip()
        if override:
            return Path(override).expanduser().absolute()
    return Path(plugin_dir).absolute() / DATA_DIR_NAME


def legacy_data_dirs(plugin_dir: Path, data_dir: Path) -> list[Path]:
    """Folders where Stash2Plex 1.x may have left its data: ours first, then the plugin's own
    `data/` (where 1.x wrote when `$STASH_PLUGIN_DATA` was not set), without repeats."""
    folders = [Path(data_dir).absolute(), Path(plugin_dir).absolute() / DATA_DIR_NAME]
    unique: list[Path] = []
    for folder in folders:
        if all(not _same(folder, seen) for seen in unique):
            unique.append(folder)
    return unique


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a == b


def ensure_data_dir(data_dir: Path) -> Path:
    """Create `data_dir` (and parents) if needed; returns it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir
