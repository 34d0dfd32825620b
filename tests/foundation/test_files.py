"""Atomic file replacement and the data folder location."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.datadir import DATA_DIR_ENV, ensure_data_dir, resolve_data_dir
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
