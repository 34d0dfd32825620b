"""The package surface: importing `sync_queue` stays cheap, and the two SPEC §6 functions
resolve from it (every hook imports `sync_queue.inbox`, so the package itself runs first)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sync_queue
from sync_queue.queuedb import get_queued_scene_ids
from sync_queue.sync_state import load_sync_timestamps

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_package_is_cheap_and_the_spec_functions_resolve() -> None:
    code = (
        "import sys, json; before = set(sys.modules); import sync_queue;"
        "cheap = sorted(set(sys.modules) - before);"
        "from sync_queue import get_queued_scene_ids, load_sync_timestamps;"
        "print(json.dumps([cheap, get_queued_scene_ids.__module__,"
        " load_sync_timestamps.__module__]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    cheap, queued_from, timestamps_from = json.loads(out.stdout)
    assert set(cheap) <= {"__future__", "sync_queue"}
    assert queued_from == get_queued_scene_ids.__module__
    assert timestamps_from == load_sync_timestamps.__module__
    assert sync_queue.get_queued_scene_ids is get_queued_scene_ids
    assert sync_queue.load_sync_timestamps is load_sync_timestamps
    assert sorted(sync_queue.__all__) == ["get_queued_scene_ids", "load_sync_timestamps"]
    with pytest.raises(AttributeError):
        sync_queue.NoSuchThing  # noqa: B018
