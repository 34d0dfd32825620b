"""The Plex token, the session cookie and the ApiKey never reach any output, on any path.

Besides these tests, conftest.py's guard scans every captured output and plugin run of every
test in this folder for the same three values.
"""

from __future__ import annotations

import json
from pathlib import Path

from base.errors import StashUnavailable
from sandbox.inprocess import run_in_process
from tests.foundation.conftest import (
    API_KEY,
    PLEX_TOKEN,
    SECRETS,
    SESSION_COOKIE,
    connection,
    task_stdin,
)


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for number, secret in enumerate(SECRETS, start=1):
            assert secret not in text, f"secret #{number} leaked"


def _files(folder: Path) -> list[str]:
    return [p.read_text("utf-8", "replace") for p in folder.rglob("*") if p.is_file()]


def test_malformed_stdin_carrying_secrets_is_never_echoed(harness) -> None:
    truncated = json.dumps({"server_connection": connection(), "args": {"token": PLEX_TOKEN}})
    for raw in (truncated[:-3].encode(), f"[{json.dumps(API_KEY)}]".encode()):
        run = harness.run({}, raw_stdin=raw)
        assert run.exit_code == 1
        _assert_clean(run.stdout, run.stderr)


def test_a_mode_holding_the_cookie_is_redacted_in_the_error(harness) -> None:
    run = harness.run_task(SESSION_COOKIE)
    assert run.exit_code == 1 and "unknown task mode '***'" in run.error
    _assert_clean(run.stdout, run.stderr)


def test_task_paths_with_every_secret_in_play(data_dir: Path) -> None:
    saved = {
        "plex_url": f"http://plex:32400/?X-Plex-Token={PLEX_TOKEN}",
        "plex_token": PLEX_TOKEN,
        "max_retries": f"token={PLEX_TOKEN}",
    }

    def reader(ctx):
        ctx.log.add_secret(API_KEY)
        ctx.log.info(f"asked Stash with ApiKey: {API_KEY} and cookie {SESSION_COOKIE}")
        return saved

    status = run_in_process(task_stdin("status"), data_dir, settings=reader)
    assert status.exit_code == 0 and status.output["settings"]["plex_token"] == "***"

    def failing(ctx):
        raise StashUnavailable(f"GET /graphql?apikey={API_KEY} with session={SESSION_COOKIE}")

    failed = run_in_process(task_stdin("status"), data_dir, settings=failing)
    assert "apikey=***" in failed.output["settings_error"]

    def crashing(ctx):
        # Before the settings are read the token is unknown: only its shape gives it away.
        body = json.dumps({"Stash2Plex": {"plex_token": PLEX_TOKEN}})
        raise RuntimeError(f"cannot parse {body} (cookie {SESSION_COOKIE})")

    crashed = run_in_process(task_stdin("status"), data_dir, settings=crashing)
    assert crashed.exit_code == 1 and crashed.error.startswith("Internal error: RuntimeError")

    for run in (status, failed, crashed):
        _assert_clean(run.stdout, run.stderr)
    _assert_clean(*_files(data_dir))
