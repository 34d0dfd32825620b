"""Where the plugin keeps its state: `<plugin folder>/data`, created on first use.

Standard library only. The folder survives plugin updates (Stash removes only the files it
installed). `STASH2PLEX_DATA_DIR` overrides it (tests, sandbox, unusual installs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "ensure_data_dir", "resolve_data_dir"]

DATA_DIR_ENV = "STASH2PLEX_DATA_DIR"
DATA_DIR_NAME = "data"


def resolve_data_dir(plugin_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """The data folder for the plugin installed in `plugin_dir` (not created here)."""
    env = os.environ if env is None else env
    override = env.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return Path(plugin_dir).absolute() / DATA_DIR_NAME


def ensure_data_dir(data_dir: Path) -> Path:
    """Create `data_dir` (and parents) if needed; returns it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir
