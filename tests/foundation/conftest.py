"""Fixtures for the plugin-foundation tests, and a guard that no secret reaches any output.

Every test here uses the canonical secrets below, registered with the suite's leak guard
(tests/conftest.py): after each test phase it scans what pytest captured plus every plugin
run (`PluginHarness` and `sandbox.inprocess.run_in_process` feed it their output and data
folder); a secret found there fails the test, whatever it asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.harness import REPO_ROOT, PluginHarness, PluginRun
from sandbox.secrets import register

PLEX_TOKEN = "plexTOKEN-9f8e7d6c5b4a"
SESSION_COOKIE = "MTc0NjAwMDAwMHxTZXNzaW9uQ29va2llVmFsdWU9PXw-cookie_"
API_KEY = "eyJhbGciOiJIUzI1NiJ9.apikey-secret-payload.sig123"
SECRETS = (PLEX_TOKEN, SESSION_COOKIE, API_KEY)

register(*SECRETS)  # the suite's leak guard (tests/conftest.py) looks for them everywhere


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def harness(data_dir: Path) -> PluginHarness:
    """Runs the real entry script as Stash does, with a session cookie and a temp data dir."""
    return PluginHarness(plugin_dir=REPO_ROOT, session_cookie=SESSION_COOKIE, data_dir=data_dir)


def connection(cookie: str | None = SESSION_COOKIE) -> dict[str, object]:
    return {
        "Scheme": "http",
        "Host": "0.0.0.0",
        "Port": 9999,
        "SessionCookie": {"Name": "session", "Value": cookie} if cookie else None,
        "Dir": "/srv/stash",
        "PluginDir": str(REPO_ROOT),
    }


def task_stdin(mode: str, **args: object) -> bytes:
    return json.dumps({"server_connection": connection(), "args": {"mode": mode, **args}}).encode()


def hook_stdin(trigger: str, hook_id: int | None, hook_input: object = None) -> bytes:
    context: dict[str, object] = {"type": trigger, "input": hook_input}
    if hook_id:
        context["id"] = hook_id
    document = {"server_connection": connection(), "args": {"hookContext": context}}
    return json.dumps(document).encode()


def assert_single_result(run_result: PluginRun) -> dict[str, object]:
    """stdout holds exactly one JSON object with `output` and `error`, and nothing else."""
    text = run_result.stdout
    document = json.loads(text)
    assert isinstance(document, dict) and set(document) == {"output", "error"}
    assert text.strip().count("\n") == 0
    return document
