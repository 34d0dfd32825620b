"""Health Check refuses a Stash older than v0.24, which cannot hand plugins their settings
(reference/stash.md §8), and names its version. That it accepts v0.24.3, v0.25.1 and v0.30.1
is shown by tests/sync/test_release_guard.py."""

from __future__ import annotations

from pathlib import Path

from sandbox.generator import GeneratorOptions
from sandbox.inprocess import run_in_process
from sandbox.world import start_sandbox


def test_health_check_refuses_stash_before_v024_naming_its_version(tmp_path: Path) -> None:
    version = "v0.23.1"  # answered by the v0.24.3 mode: only `version` differs for the check
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
    assert stash_line.startswith("[FAIL")
    assert "older than v0.24" in stash_line and "settings" in stash_line
