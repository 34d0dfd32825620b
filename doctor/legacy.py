"""Health Check step: a Stash2Plex 1.x still installed elsewhere under Stash's plugins folder.

Both use the plugin id `Stash2Plex`, and Stash refuses the second one ("plugin ID already
exists"), so the user must remove the old folder. Stash looks for manifests anywhere under
its plugins folder (reference/stash.md), so the folders two levels deep are looked at too
(a package install nests one level). What makes a folder 1.x's: base.legacy.
"""

from __future__ import annotations

import os
from pathlib import Path

from base.legacy import looks_like_legacy_install
from doctor.result import OK, WARN, CheckResult

__all__ = ["check_legacy_installs", "legacy_installs", "plugins_root"]

_MAX_FOLDERS = 2000  # a plugins folder is small; never walk a mistaken huge tree for long


def legacy_installs(plugins_root: Path, own: Path) -> list[Path]:
    """1.x plugin folders under `plugins_root` (at most two levels deep), other than `own`."""
    found: list[Path] = []
    seen = 0
    pending = [(plugins_root, 0)]
    while pending and seen < _MAX_FOLDERS:
        folder, depth = pending.pop()
        try:
            children = sorted(e.path for e in os.scandir(folder) if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
        for child in map(Path, children):
            seen += 1
            if _same(child, own) or child.name.startswith("."):
                continue
            if looks_like_legacy_install(child):
                found.append(child)
            elif depth == 0:
                pending.append((child, 1))
    return sorted(found)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.absolute() == b.absolute()


def plugins_root(plugin_dir: Path) -> Path:
    """Stash's plugins folder: the nearest ancestor named `plugins` (its default name, also
    above a package install's `plugins/<source>/<id>`), else the folder holding ours."""
    own = Path(plugin_dir).absolute()
    for ancestor in (own.parent, own.parent.parent):
        if ancestor.name.lower() == "plugins":
            return ancestor
    return own.parent


def check_legacy_installs(plugin_dir: Path, data_dir: Path) -> CheckResult:
    """Warn, naming each folder, when 1.x is installed beside this plugin."""
    folders = legacy_installs(plugins_root(plugin_dir), Path(plugin_dir))
    if not folders:
        return CheckResult("earlier version", OK, "Earlier Stash2Plex 1.x: not installed beside")
    names = ", ".join(str(f) for f in folders)
    return CheckResult(
        "earlier version",
        WARN,
        f"Stash2Plex 1.x is still installed in {names}; Stash loads only one plugin with the"
        " id Stash2Plex",
        f"to keep its queued edits and history, move the files of its data folder into"
        f" {data_dir} and run any task of this plugin; then delete that folder and reload"
        " plugins in Stash",
        {"folders": [str(f) for f in folders]},
    )
