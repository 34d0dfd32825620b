"""Health Check started exactly as Stash starts it: a real process, settings read from Stash."""

from __future__ import annotations

import json

import pytest

from sandbox.harness import REPO_ROOT, PluginHarness
from tests.doctor.conftest import PLEX_TOKEN, DoctorWorld, remember_secret


def test_health_check_as_stash_runs_it(request: pytest.FixtureRequest, world: DoctorWorld) -> None:
    world.stash.enable_auth()
    cookie = world.stash.new_session_cookie()
    remember_secret(request, cookie)
    harness = PluginHarness(
        plugin_dir=REPO_ROOT,
        stash_url=world.stash.url,
        session_cookie=cookie,
        data_dir=world.data_dir,
    )
    assert harness.manifest().task("Health Check") is not None
    result = harness.run_task("health_check")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"output", "error"} and document["error"] is None
    output = document["output"]
    assert output["ready"] is False
    checks = {c["name"]: c for c in output["checks"]}
    assert checks["stash"]["status"] == "ok" and checks["stash"]["details"]["auth"] == "required"
    assert checks["path_map"]["details"]["path_map"] == "/data/videos=>/media/videos"

    messages = [line.message for line in result.logs]
    assert messages[0].startswith("Stash2Plex ") and messages[0].endswith(" Health Check")
    assert any(
        m.startswith("[FAIL] Path map suggestion: /data/videos=>/media/videos") for m in messages
    )
    assert messages[-1] == output["verdict"]
    errors = [line.message for line in result.logs if line.level == "error"]
    assert errors and all(m.startswith("[FAIL]") for m in errors)
    assert "Traceback" not in result.stderr
    for secret in (PLEX_TOKEN, cookie):
        assert secret not in result.stdout and secret not in result.stderr
