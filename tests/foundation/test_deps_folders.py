"""The dependency folders' pointer and clean-up rules (plugin.deps_folders), on real files."""

from __future__ import annotations

import os
from pathlib import Path

from plugin.deps_folders import (
    UNUSED_AFTER_S,
    current_folder,
    deps_root,
    new_folder,
    point_to,
    remove_unused,
)

TAG = "cpython-311-linux-x86_64"
T0 = 1_800_000_000.0


def _age_all(root: Path, at: float) -> None:
    for path in [root, *root.iterdir()]:
        os.utime(path, (at, at))


def test_each_install_gets_its_own_folder_and_the_pointer_names_one(tmp_path: Path) -> None:
    first = new_folder(tmp_path, b"plexapi==4.16.1\n", TAG)
    second = new_folder(tmp_path, b"plexapi==4.16.1\n", TAG)
    assert first != second and first.is_dir() and second.is_dir()
    assert (
        first.name.startswith(TAG + "-") and first.name.split("-")[3] == second.name.split("-")[3]
    )
    assert current_folder(tmp_path, TAG) is None
    point_to(tmp_path, second, TAG)
    assert current_folder(tmp_path, TAG) == second
    assert current_folder(tmp_path, "cpython-312-linux-x86_64") is None  # per interpreter


def test_a_pointer_to_nothing_or_outside_is_no_pointer(tmp_path: Path) -> None:
    pointer = deps_root(tmp_path) / f"{TAG}.current"
    pointer.parent.mkdir(parents=True)
    for text in (f"{TAG}-gone\n", "../../etc\n", f"{TAG}-x/../../y\n", ""):
        pointer.write_text(text)
        assert current_folder(tmp_path, TAG) is None


def test_unused_folders_go_a_day_after_the_pointer_moved(tmp_path: Path) -> None:
    root = deps_root(tmp_path)
    legacy = root / TAG  # where installs went before the pointer
    (legacy / "plexapi").mkdir(parents=True)
    old = new_folder(tmp_path, b"a", TAG)
    other_python = root / "cpython-312-linux-x86_64-abc-1-2"
    other_python.mkdir()
    stray = root / f".{TAG}.current.123.456.tmp"  # a pointer write cut off by SIGKILL
    stray.write_text("x")
    assert remove_unused(tmp_path, TAG, now=T0 + 10 * UNUSED_AFTER_S) == []  # no pointer yet

    used = new_folder(tmp_path, b"b", TAG)
    point_to(tmp_path, used, TAG)
    _age_all(root, T0)
    assert remove_unused(tmp_path, TAG, now=T0 + UNUSED_AFTER_S - 1) == []  # tasks may use them
    orphan = new_folder(tmp_path, b"c", TAG)  # an install still writing: fresh
    os.utime(orphan, (T0 + UNUSED_AFTER_S, T0 + UNUSED_AFTER_S))
    removed = remove_unused(tmp_path, TAG, now=T0 + UNUSED_AFTER_S + 1)
    assert sorted(removed) == sorted([legacy.name, old.name, stray.name])
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [used.name, orphan.name, other_python.name, f"{TAG}.current"]
    )
