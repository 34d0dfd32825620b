"""The hook's stdlib calls against the Stash emulator: jobs, task start, failures, auth."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from base.errors import StashAuthError, StashUnavailable
from sandbox.httpd import Fault
from sandbox.stash_emu import StashEmulator
from stash import hookcalls
from stash.connection import StashEndpoint
from tests.stash.conftest import API_KEY, PLUGIN_ID, TASK_NAME, assert_no_secrets


def test_run_plugin_task_then_job_queue_shows_it_ready(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    assert hookcalls.job_queue(endpoint) == []
    job_id = hookcalls.run_plugin_task(endpoint, PLUGIN_ID, TASK_NAME)
    (job,) = hookcalls.job_queue(endpoint)
    assert job.id == job_id
    assert job.status == "READY"
    assert job.description == f"Running plugin task: {TASK_NAME}"
    assert job.add_time and job.start_time is None
    assert stash_emu.log.count("graphql:runPluginTask") == 1
    assert stash_emu.log.count("graphql:jobQueue") == 2


def test_an_unknown_task_is_accepted_and_find_job_reports_its_failure(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    job_id = hookcalls.run_plugin_task(endpoint, "NoSuchPlugin", TASK_NAME)
    assert stash_emu.run_next_job() is not None
    job = hookcalls.find_job(endpoint, job_id)
    assert job is not None and (job.id, job.status) == (job_id, "FAILED")
    assert job.description == f"Running plugin task: {TASK_NAME}"
    assert hookcalls.find_job(endpoint, "999") is None


def test_hang_fails_fast_with_the_default_2s_timeout(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    stash_emu.knobs.add_fault(Fault("hang", hang_s=6.0, path_regex="^/graphql$"))
    started = time.monotonic()
    with pytest.raises(StashUnavailable) as info:
        hookcalls.job_queue(endpoint)
    assert time.monotonic() - started < 5.0
    assert "timed out" in str(info.value)


def test_connection_refused_is_unavailable(stash_emu: StashEmulator) -> None:
    cookie = stash_emu.new_session_cookie()
    endpoint = StashEndpoint.from_server_connection(
        {"Host": "", "Port": stash_emu.port, "SessionCookie": {"Value": cookie}}
    )
    stash_emu.server.go_down()
    with pytest.raises(StashUnavailable) as info:
        hookcalls.run_plugin_task(endpoint, PLUGIN_ID, TASK_NAME)
    assert "refused" in str(info.value)
    assert_no_secrets(info.value, cookie)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable(stash_emu: StashEmulator, endpoint: StashEndpoint, status: int) -> None:
    stash_emu.knobs.add_fault(Fault("status", status=status, body=b"<html>bad gateway</html>"))
    with pytest.raises(StashUnavailable) as info:
        hookcalls.job_queue(endpoint)
    assert type(info.value) is StashUnavailable
    assert str(status) in str(info.value)


def test_non_json_body_is_unavailable(stash_emu: StashEmulator, endpoint: StashEndpoint) -> None:
    stash_emu.knobs.add_fault(Fault("body", body=b"<html>captive portal</html>"))
    with pytest.raises(StashUnavailable) as info:
        hookcalls.job_queue(endpoint)
    assert "non-JSON" in str(info.value)


def test_auth_cookie_works_missing_cookie_and_wrong_key_are_refused(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    stash_emu.enable_auth()
    stash_emu.api_key = API_KEY
    assert hookcalls.job_queue(endpoint) == []  # the task's cookie authenticates

    anonymous = StashEndpoint.from_server_connection({"Port": stash_emu.port})
    with pytest.raises(StashAuthError) as missing:
        hookcalls.job_queue(anonymous)
    assert "401" in str(missing.value)

    wrong = endpoint.with_api_key("wrong-key-123456")
    with pytest.raises(StashAuthError) as refused:
        hookcalls.run_plugin_task(wrong, PLUGIN_ID, TASK_NAME)
    assert_no_secrets(refused.value, endpoint.cookie_value, "wrong-key-123456")
    assert stash_emu.jobs == []

    keyed = StashEndpoint.from_server_connection({"Port": stash_emu.port}, api_key=API_KEY)
    assert hookcalls.run_plugin_task(keyed, PLUGIN_ID, TASK_NAME)


def test_wrong_api_key_refused_even_on_an_open_server(endpoint: StashEndpoint) -> None:
    with pytest.raises(StashAuthError):
        hookcalls.job_queue(endpoint.with_api_key("stale-key-0000"))


def test_ipv6_wildcard_host_reaches_loopback_or_fails_cleanly(
    stash_emu: StashEmulator,
) -> None:
    # The emulator listens on 127.0.0.1 only: "::" maps to [::1], which refuses (or has no
    # IPv6 at all); either way the hook gets StashUnavailable, never a raw OSError.
    endpoint = StashEndpoint.from_server_connection({"Host": "::", "Port": stash_emu.port})
    with pytest.raises(StashUnavailable):
        hookcalls.job_queue(endpoint, timeout=1.0)


def test_importing_hookcalls_loads_no_http_or_third_party_modules() -> None:
    code = (
        "import sys, stash.hookcalls\n"
        "heavy = ['http.client', 'ssl', 'requests', 'urllib3', 'stashapi', 'email']\n"
        "sys.stdout.write(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout == ""
