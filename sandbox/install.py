"""Installs the plugin into a folder of its own, as a user would, under any manifest name.

Stash names a plugin after its manifest's file name (pkg/plugin/config.go), so a user who
saves our files as `s2p.yml` runs plugin `s2p`. The packages and the entry script are
symlinked (the plugin resolves its folder from the path it was started by, not the link's
target); the manifest is copied under the new name.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sandbox.harness import ENTRY_SCRIPT, MANIFEST_FILE, REPO_ROOT
from scripts.package import PLUGIN_PACKAGES

__all__ = ["install_plugin"]

# What the release zip ships besides the manifest and the documents.
_SHIPPED = (ENTRY_SCRIPT, "requirements.txt", *PLUGIN_PACKAGES)


def install_plugin(folder: Path, manifest_name: str = "s2p.yml", source: Path = REPO_ROOT) -> Path:
    """`folder` holding the plugin with its manifest saved as `manifest_name`; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in _SHIPPED:
        link = folder / name
        if not link.exists():
            os.symlink(source / name, link, target_is_directory=(source / name).is_dir())
    shutil.copyfile(source / MANIFEST_FILE, folder / manifest_name)
    return folder
