"""Fixtures for the plugin-foundation tests, and a guard that no secret reaches any output.

Every test here uses the canonical secrets below, registered with the suite's leak guard
(tests/conftest.py): after each test phase it scans what pytest captured plus every plugin
run (harness and in-process); a secret found there fails the test, whatever it asserted.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plugin.app import run
from sandbox.harness import REPO_ROOT, LogLine, PluginHarness, PluginRun, parse_stderr
from sandbox.secrets import note_output, register

PLEX_TOKEN = "plexTOKEN-9f8e7d6c5b4a"
SESSION_COOKIE = "MTc0NjAwMDAwMHxTZXNzaW9uQ29va2llVmFsdWU9PXw-cookie_"
API_KEY = "eyJhbGciOiJIUzI1NiJ9.apikey-secret-payload.sig123"
SECRETS = (PLEX_TOKEN, SESSION_COOKIE, API_KEY)

register(*SECRETS)  # the suite's leak guard (tests/conftest.py) looks for them everywhere


def record_output(request: pytest.FixtureRequest, *texts: str | bytes) -> None:
    """Add texts a plugin run produced to the suite's leak check (in-process runs)."""
    note_output(*texts)


class RecordingHarness(PluginHarness):
    """The sandbox harness, feeding every run's stdout and stderr to the leak guard."""

    request: pytest.FixtureRequest | None = None

    def run(self, args, *, timeout=60, raw_stdin=None):  # type: ignore[no-untyped-def,override]
        result = super().run(args, timeout=timeout, raw_stdin=raw_stdin)
        if self.request is not None:
            record_output(self.request, result.stdout, result.stderr)
        return result


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def harness(request: pytest.FixtureRequest, data_dir: Path) -> RecordingHarness:
    """Runs the real entry script as Stash does, with a session cookie and a temp data dir."""
    runner = RecordingHarness(
        plugin_dir=REPO_ROOT, session_cookie=SESSION_COOKIE, data_dir=data_dir
    )
    runner.request = request
    return runner


@dataclass
class InprocRun:
    """What `plugin.app.run` produced in this process (same decoding as the harness)."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    output: object = None
    error: str | None = None
    logs: list[LogLine] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)

    def messages(self, level: str | None = None) -> list[str]:
        return [line.message for line in self.logs if level is None or line.level == level]


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


@pytest.fixture
def run_inproc(request: pytest.FixtureRequest, data_dir: Path):  # type: ignore[no-untyped-def]
    """`run_inproc(stdin_bytes, settings=dict|callable|None)`: plugin.app.run in-process."""

    def _run(raw: bytes, settings: object = None) -> InprocRun:
        if callable(settings):
            source = settings
        elif settings is not None:
            source = lambda ctx: settings  # noqa: E731
        else:
            source = None
        out, err = io.BytesIO(), io.BytesIO()
        code = run(
            raw,
            plugin_dir=REPO_ROOT,
            stdout=out,  # type: ignore[arg-type]
            stderr=err,  # type: ignore[arg-type]
            env={"STASH2PLEX_DATA_DIR": str(data_dir)},
            settings_source=source,  # type: ignore[arg-type]
            ensure_deps=lambda ctx: None,
        )
        record_output(request, out.getvalue().decode("utf-8", "replace"))
        record_output(request, err.getvalue().decode("utf-8", "replace"))
        logs, progress, _ = parse_stderr(err.getvalue())
        document = json.loads(out.getvalue())
        return InprocRun(
            code,
            out.getvalue(),
            err.getvalue(),
            document["output"],
            document["error"],
            logs,
            progress,
        )

    return _run


def assert_single_result(run_result: PluginRun | InprocRun) -> dict[str, object]:
    """stdout holds exactly one JSON object with `output` and `error`, and nothing else."""
    text = run_result.stdout if isinstance(run_result.stdout, str) else run_result.stdout.decode()
    document = json.loads(text)
    assert isinstance(document, dict) and set(document) == {"output", "error"}
    assert text.strip().count("\n") == 0
    return document
