"""Fixtures shared by the whole suite: the `../shared/` folder and the sandbox servers.

Tests that read `../shared/` use `shared_dir`, which skips with one line when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared/` beside the clone; skipped (one line) in a clone outside the workplace."""
    if not (SHARED_DIR / "SPEC.md").is_file():
        pytest.skip("../shared/ is absent (clone outside the workplace)")
    return SHARED_DIR
