"""The View Status task and the settings flow of a task: snapshot, debug, secrets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from base.about import __version__
from base.errors import ConfigError, StashAuthError
from plugin.invocation import parse_invocation
from runtime.context import Context
from sandbox.harness import REPO_ROOT, parse_stderr
from sandbox.inprocess import run_in_process
from stash.log import StashLog
from tests.foundation.conftest import PLEX_TOKEN, task_stdin
from validation.snapshot import read_snapshot

SAVED = {
    "plex_url": "http://192.168.1.20:32400/",
    "plex_token": PLEX_TOKEN,
    "max_retries": "abc",
    "enabled": False,
    "poll_interval": 30,  # Stash2Plex 1.x's, meaningless here: named once, not "unknown"
    "turbo": True,
}


def test_status_reports_effective_settings_with_the_token_masked(data_dir) -> None:
    run = run_in_process(task_stdin("status"), data_dir, settings=SAVED)
    assert run.exit_code == 0 and run.error is None
    status = run.output
    assert status["version"] == __version__ and status["data_dir"] == str(data_dir)
    assert status["configured"] is True and "setup" not in status
    settings = status["settings"]
    assert settings["plex_token"] == "***" and settings["plex_url"] == "http://192.168.1.20:32400"
    assert settings["max_retries"] == 5 and settings["paused"] is True
    assert status["settings_defaulted"] == ["max_retries"]
    assert status["legacy_settings_used"] == {"paused": "enabled"}
    assert status["unknown_settings"] == ["turbo"]
    assert status["unused_1x_settings"] == ["poll_interval"]
    assert run.messages("warning") == [
        "Setting max_retries='abc': not a number; using 5",
        "Ignored settings unknown to this version: turbo",
    ]
    info = run.messages("info")
    retired = "Settings kept from Stash2Plex 1.x that this version does not use: poll_interval."
    assert [m for m in info if m.startswith(retired)] == [info.pop(0)]  # read first
    assert info[0].startswith(f"Stash2Plex {__version__}") and info[1].startswith("Settings: ")
    assert "plex_token='***'" in info[1]


def test_status_without_plex_settings_says_what_to_fill_in(data_dir: Path) -> None:
    run = run_in_process(task_stdin("status"), data_dir, settings={})
    assert run.exit_code == 0
    assert run.output["configured"] is False and run.output["settings"]["plex_token"] == ""
    expected = (
        "Stash2Plex is not set up: plex_url is not set and plex_token is not set. "
        "Fill in Stash → Settings → Plugins → Stash2Plex; edits are recorded meanwhile."
    )
    assert run.output["setup"] == expected and run.messages("warning") == [expected]


def test_status_when_stash_refuses_the_settings_query(data_dir: Path) -> None:
    def refuse(ctx):
        raise StashAuthError("Stash refused the credentials (HTTP 401)")

    run = run_in_process(task_stdin("status"), data_dir, settings=refuse)
    assert run.exit_code == 0
    assert run.output["settings_error"] == "Stash refused the credentials (HTTP 401)"
    assert "settings" not in run.output


def test_reading_settings_refreshes_the_hook_snapshot(data_dir: Path) -> None:
    run_in_process(task_stdin("status"), data_dir, settings={**SAVED, "debug_logging": "true"})
    snapshot = read_snapshot(data_dir)
    assert snapshot.written_at is not None and snapshot.configured is True
    assert snapshot.settings["debug_logging"] is True and snapshot.settings["paused"] is True
    assert "plex_token" not in snapshot.settings
    assert PLEX_TOKEN not in (data_dir / "settings_snapshot.json").read_text(encoding="utf-8")


def _context(data_dir: Path, settings: dict) -> tuple[Context, io.BytesIO]:
    stream = io.BytesIO()
    invocation = parse_invocation(task_stdin("status"))
    log = StashLog(stream, progress_enabled=True)  # type: ignore[arg-type]
    return Context(invocation, log, REPO_ROOT, data_dir, lambda ctx: settings), stream


def test_settings_switch_debug_lines_on_and_register_the_token(data_dir: Path) -> None:
    ctx, stream = _context(data_dir, {**SAVED, "debug_logging": True, "max_retries": 7})
    ctx.log.debug("before the settings: dropped")
    config = ctx.config()
    assert config.max_retries == 7 and config is ctx.config()  # read once
    ctx.log.debug(f"after the settings: token {PLEX_TOKEN}")
    logs, _, _ = parse_stderr(stream.getvalue())
    assert [line.message for line in logs] == [
        "Ignored settings unknown to this version: turbo",
        "Settings kept from Stash2Plex 1.x that this version does not use: poll_interval."
        " Nothing to do; they can stay saved",
        "[debug] after the settings: token ***",
    ]


def test_config_raises_config_error_but_resolved_settings_do_not(data_dir: Path) -> None:
    ctx, _ = _context(data_dir, {"plex_url": "http://plex:32400"})
    assert ctx.resolved_settings().missing == ["plex_token"]
    with pytest.raises(ConfigError, match="plex_token is not set"):
        ctx.config()
    assert read_snapshot(data_dir).configured is False


def test_progress_is_only_sent_for_tasks(data_dir: Path) -> None:
    def report(ctx):
        ctx.progress(0.5)
        return SAVED

    run = run_in_process(task_stdin("status"), data_dir, settings=report)
    assert run.progress == [0.5]
