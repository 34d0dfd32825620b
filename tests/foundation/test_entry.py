"""The entry script end to end: hooks and tasks as Stash runs them, stdout purity, imports."""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

from base.about import __version__
from base.errors import StashUnavailable
from sandbox.harness import REPO_ROOT, PluginHarness, go_json
from sandbox.inprocess import run_in_process
from tests.foundation.conftest import (
    API_KEY,
    PLEX_TOKEN,
    SESSION_COOKIE,
    assert_single_result,
    hook_stdin,
    task_stdin,
)
from tests.hook_modules import modules_of_hook
from validation.snapshot import write_snapshot

BULK = {"ids": ["12", "13", "14"], "tag_ids": {"ids": ["7"], "mode": "ADD"}}
HEAVY_MODULES = ("pydantic", "plexapi", "requests", "persistqueue", "stashapi", "urllib3")


def test_hook_exits_0_with_nothing_on_stdout_but_its_result(harness) -> None:
    runs = [harness.run_hook("Scene.Update.Post", 13, BULK, ["ids", "tag_ids"]) for _ in range(3)]
    for run in runs:
        assert run.exit_code == 0 and run.error is None
        document = assert_single_result(run)
        assert document["output"] == {"hook": "Scene.Update.Post", "scene_ids": [13, 12, 14]}
        assert run.messages("error") == [] and run.progress == []  # no progress sink for hooks
    # A sanity bound only: bench/hook_latency.py measures the budget on a quiet machine.
    assert statistics.median(r.duration_s for r in runs) < 1.0


def test_create_and_destroy_hooks(harness) -> None:
    created = harness.run_hook("Scene.Create.Post", 101)
    assert created.output == {"hook": "Scene.Create.Post", "scene_ids": [101]}
    destroy_input = {"id": "45", "delete_file": False, "path": "/media/a.mp4"}
    destroyed = harness.run_hook("Scene.Destroy.Post", 45, destroy_input)
    assert destroyed.output == {"hook": "Scene.Destroy.Post", "scene_ids": [45]}


def test_hook_reads_debug_logging_from_the_snapshot(harness, data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    write_snapshot(data_dir, {"debug_logging": True}, configured=True)
    run = harness.run_hook("Scene.Update.Post", 13, BULK, ["ids", "tag_ids"])
    assert run.exit_code == 0
    assert "[debug] Scene.Update.Post: recorded scene(s) 13, 12, 14" in run.messages("info")


def test_hook_warns_once_about_malformed_bulk_ids(harness) -> None:
    run = harness.run_hook("Scene.Update.Post", 13, {"ids": ["12", "x", None]}, ["ids"])
    assert run.exit_code == 0 and run.output["scene_ids"] == [13, 12]
    warnings = run.messages("warning")
    assert warnings[0] == "Scene.Update.Post: ignored 2 malformed scene id(s) in the input"
    # No Stash behind this harness: the wake-up attempt adds its own single warning.
    assert len(warnings) == 2 and warnings[1].startswith("Could not start 'Stash2Plex: Process")


def test_hook_path_imports_only_the_standard_library(tmp_path: Path) -> None:
    modules = modules_of_hook(tmp_path, hook_stdin("Scene.Update.Post", 13, BULK))
    assert "plugin.hooks" in modules  # the hook really ran
    heavy = [m for m in modules if m.split(".")[0] in HEAVY_MODULES]
    assert heavy == []
    third_party = sorted(
        name
        for name, path in modules.items()
        if path and ("site-packages" in path or "dist-packages" in path)
    )
    assert third_party == []
    # Task-side modules of our own stay out of a hook too.
    assert not {"validation.config", "pydantic", "plugin.deps", "logging"} & set(modules)


def test_task_path_does_load_its_dependencies(tmp_path: Path) -> None:
    modules = modules_of_hook(tmp_path, task_stdin("status"))
    assert "pydantic" in modules and "tasks.status" in modules


def _no_site_python(tmp_path: Path) -> str:
    """An interpreter without site-packages: every third-party dependency is missing."""
    wrapper = tmp_path / "python-no-site"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def test_hook_works_without_any_dependency_installed(tmp_path: Path, data_dir) -> None:
    harness = PluginHarness(
        plugin_dir=REPO_ROOT,
        session_cookie=SESSION_COOKIE,
        data_dir=data_dir,
        python=_no_site_python(tmp_path),
    )
    run = harness.run_hook("Scene.Update.Post", 13, BULK, ["ids", "tag_ids"])
    assert run.exit_code == 0 and run.output["scene_ids"] == [13, 12, 14]


def test_task_without_dependencies_fails_with_the_exact_command(tmp_path: Path, data_dir) -> None:
    empty_index = tmp_path / "no-wheels"
    empty_index.mkdir()
    harness = PluginHarness(
        plugin_dir=REPO_ROOT,
        session_cookie=SESSION_COOKIE,
        data_dir=data_dir,
        python=_no_site_python(tmp_path),
        # pip must find nothing: no index, and no local wheel folder from the environment
        env={
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(empty_index),
            "PIP_CONFIG_FILE": os.devnull,
        },
    )
    run = harness.run_task("status")
    assert run.exit_code == 1
    assert_single_result(run)
    assert "Install them by running: " in run.error
    assert " -m pip install " in run.error and " --target " in run.error
    assert str(REPO_ROOT / "requirements.txt") in run.error
    assert "--break-system-packages" not in run.error
    assert run.messages("error") == [run.error]


def test_status_task_result_arrives_as_json(harness, data_dir: Path) -> None:
    run = harness.run_task("status")
    assert run.exit_code == 0 and run.error is None
    document = assert_single_result(run)
    output = document["output"]
    assert output["version"] == __version__ and output["data_dir"] == str(data_dir)
    assert "settings_error" in output  # the Stash settings reader is a seam until wired
    assert f"Settings unavailable: {output['settings_error']}" in run.messages("warning")
    assert run.messages("info")[0].startswith(f"Stash2Plex {__version__}")


def test_entry_works_from_any_cwd_and_any_console_encoding(tmp_path: Path) -> None:
    data_dir = tmp_path / "dätä 📁"
    harness = PluginHarness(
        plugin_dir=REPO_ROOT,
        session_cookie=SESSION_COOKIE,
        data_dir=data_dir,
        env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "PYTHONUTF8": "0"},
    )
    run = harness.run_task("status")
    assert run.exit_code == 0 and run.output["data_dir"] == str(data_dir)
    assert f"data folder: {data_dir}" in run.messages("info")[0]
    hook = harness.run_hook("Scene.Update.Post", 3, {"id": "3", "title": "Émilie 🎬 ‮"})
    assert hook.exit_code == 0 and hook.stdout.isascii()


def test_stray_prints_become_log_lines_not_stdout(data_dir: Path) -> None:
    def noisy_settings(ctx):
        ctx.log.add_secret(API_KEY)  # the Stash reader registers what it learns (seam contract)
        print("library chatter", PLEX_TOKEN)  # noqa: T201 - exactly what the test is about
        sys.stderr.write(f"warning from a library {API_KEY}\n")
        return {"plex_url": "http://plex:32400", "plex_token": PLEX_TOKEN}

    run = run_in_process(task_stdin("status"), data_dir, settings=noisy_settings)
    assert run.exit_code == 0
    assert json.loads(run.stdout)["output"]["settings"]["plex_token"] == "***"
    assert "[stdout] library chatter ***" in run.messages("info")
    assert any(m.startswith("warning from a library") for m in run.messages("warning"))


def test_a_bug_in_a_handler_gives_one_error_and_exit_1(data_dir: Path) -> None:
    def broken(ctx):
        raise KeyError("plex_url")

    run = run_in_process(task_stdin("status"), data_dir, settings=broken)
    assert run.exit_code == 1 and run.output is None
    assert run.error == "Internal error: KeyError: 'plex_url'"
    assert len(run.messages("error")) == 1


def test_the_session_cookie_is_redacted_even_if_a_handler_echoes_it(data_dir: Path) -> None:
    def echo(ctx):
        raise StashUnavailable(f"refused cookie {ctx.invocation.session_cookie}")

    run = run_in_process(task_stdin("status"), data_dir, settings=echo)
    assert run.output["settings_error"] == "refused cookie ***"
    assert SESSION_COOKIE not in run.stderr + run.stdout


def test_go_encoded_stdin_with_html_escapes(harness) -> None:
    args = {"hookContext": {"id": 9, "type": "Scene.Update.Post", "input": {"title": "<a&b>"}}}
    stdin = go_json({"server_connection": harness.server_connection(), "args": args})
    assert b"\\u003c" in stdin
    run = harness.run({}, raw_stdin=stdin)
    assert run.exit_code == 0 and run.output["scene_ids"] == [9]


def test_the_error_line_stays_one_line_of_bounded_length() -> None:
    from plugin.app import MAX_ERROR_CHARS, one_line

    assert one_line("Plex said:\r\nno\nway") == "Plex said: no way"
    long = one_line("x" * (MAX_ERROR_CHARS * 20))
    assert len(long) == MAX_ERROR_CHARS and long.endswith("…")
    assert one_line("short") == "short"
