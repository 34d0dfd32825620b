"""Atomic file replacement and the data folder location."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.datadir import (
    DATA_DIR_ENV,
    PLUGIN_DATA_ENV,
    ensure_data_dir,
    legacy_data_dirs,
    resolve_data_dir,
)
from base.fileio import atomic_write_bytes


def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, b"old")
    (tmp_path / "blocker").mkdir()
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "blocker", b"new")  # a folder cannot be replaced
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "state.json"]


def test_data_folder_is_inside_the_plugin_unless_overridden(tmp_path: Path) -> None:
    plugin_dir = tmp_path / "plugins" / "Stash2Plex"
    assert resolve_data_dir(plugin_dir, {}) == plugin_dir / "data"
    assert resolve_data_dir(plugin_dir, {DATA_DIR_ENV: "  "}) == plugin_dir / "data"
    override = tmp_path / "elsewhere"
    assert resolve_data_dir(plugin_dir, {DATA_DIR_ENV: str(override)}) == override
    assert not override.exists()
    assert ensure_data_dir(override).is_dir()


def test_stash_plugin_data_is_honoured_as_1x_honoured_it(tmp_path: Path) -> None:
    plugin_dir = tmp_path / "plugins" / "Stash2Plex"
    shared = tmp_path / "plugin-data"
    assert resolve_data_dir(plugin_dir, {PLUGIN_DATA_ENV: str(shared)}) == shared
    ours = tmp_path / "ours"  # our own override still wins (tests, sandbox)
    both = {PLUGIN_DATA_ENV: str(shared), DATA_DIR_ENV: str(ours)}
    assert resolve_data_dir(plugin_dir, both) == ours
    # 1.x data is looked for in ours first, then in the plugin's own data/, each once
    assert legacy_data_dirs(plugin_dir, shared) == [shared, plugin_dir / "data"]
    assert legacy_data_dirs(plugin_dir, plugin_dir / "data") == [plugin_dir / "data"]
