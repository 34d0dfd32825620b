"""Health Check names the Stash version it found and refuses only a Stash older than v0.24,
which cannot hand plugins their settings (reference/stash.md §8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.generator import GeneratorOptions
from sandbox.inprocess import run_in_process
from sandbox.world import start_sandbox


@pytest.mark.parametrize(("version", "verdict"), [("v0.23.1", "FAIL"), ("v0.24.0", "OK")])
def test_health_check_names_the_version_and_refuses_only_pre_v024(
    tmp_path: Path, version: str, verdict: str
) -> None:
    # v0.24.0 in the v0.24.3 mode: the same schema (no schema change between v0.24 patches).
    world = start_sandbox(
        GeneratorOptions(scenes=5, seed=4), data_dir=tmp_path / "data", stash_release="v0.24.3"
    )
    try:
        world.stash.state.version = version
        assert world.harness.data_dir is not None
        stdin = world.harness.stdin_payload({"mode": "health_check"})
        run = run_in_process(stdin, world.harness.data_dir)
    finally:
        world.stop()
    (stash_line,) = [m for m in run.messages() if f"Stash {version}" in m]
    assert stash_line.startswith(f"[{verdict}")
    if verdict == "FAIL":
        assert "older than v0.24" in stash_line and "settings" in stash_line
