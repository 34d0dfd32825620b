"""The package surface: importing `sync_queue` costs nothing, and every public name loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sync_queue

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_every_public_name_resolves_lazily() -> None:
    for name in sync_queue.__all__:
        assert getattr(sync_queue, name) is not None, name
    with pytest.raises(AttributeError):
        sync_queue.NoSuchThing  # noqa: B018


def test_importing_the_package_imports_nothing_else() -> None:
    code = (
        "import sys, json; before = set(sys.modules); import sync_queue;"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert set(json.loads(out.stdout)) <= {"__future__", "sync_queue"}
