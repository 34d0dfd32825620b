"""The harness runs a plugin as Stash does: stdin bytes, cwd, PYTHONPATH, stdout rule, stderr.

Uses a small echo plugin so a harness defect cannot hide behind the real plugin's behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.harness import (
    PluginHarness,
    PluginManifest,
    decode_stdout,
    go_json,
    parse_stderr,
)
from sandbox.httpd import wait_until

ECHO_DIR = Path(__file__).parent / "echo_plugin"


def harness(**kwargs: object) -> PluginHarness:
    return PluginHarness(plugin_dir=ECHO_DIR, **kwargs)  # type: ignore[arg-type]


def test_stdin_is_go_json_without_newline_and_process_starts_like_stash(tmp_path: Path) -> None:
    h = harness(stash_url="http://127.0.0.1:4321", session_cookie="c00kie", data_dir=tmp_path)
    run = h.run({"mode": "x", "text": "<a & b>"})
    assert run.exit_code == 0 and run.error is None
    out = run.output
    assert isinstance(out, dict)
    raw = out["raw_stdin"]
    assert not raw.endswith("\n")
    assert "\\u003ca \\u0026 b\\u003e" in raw  # Go escapes HTML characters
    payload = json.loads(raw)
    conn = payload["server_connection"]
    assert conn["Host"] == "0.0.0.0" and conn["Port"] == 4321 and conn["Scheme"] == "http"
    assert conn["SessionCookie"]["Value"] == "c00kie"
    assert conn["PluginDir"] == str(ECHO_DIR)
    assert payload["args"] == {"mode": "x", "text": "<a & b>"}
    assert Path(out["cwd"]).resolve() != ECHO_DIR.resolve()
    assert out["pythonpath"].split(":")[-1] == str(ECHO_DIR.resolve().parent)
    assert out["data_dir"] == str(tmp_path)


def test_error_and_exit_status_follow_stash_rules() -> None:
    run = harness().run({"error": "boom", "exit": "1"})
    assert run.exit_code == 1 and run.error == "boom"
    run = harness().run({"exit": "3"})
    assert run.error == "exit status 3"  # non-zero exit with error null: Go's message
    assert isinstance(run.output, dict)  # ... while the output is still decoded
    run = harness().run({"action": "bad_stdout", "exit": "2"})
    assert isinstance(run.output, str) and run.output.startswith("stray print")
    assert run.error == "exit status 2"


def test_stderr_levels_progress_and_overlong_line() -> None:
    run = harness().run({"action": "noise"})
    assert run.messages("error") == ["plain traceback line"]  # unprefixed -> errLog level
    assert run.messages("warning") == ["careful"]
    assert run.messages("debug") == ["detail"]
    assert run.overlong_stderr_line  # Stash stops reading at a >= 64 KiB line
    assert "after the long line" not in run.messages()
    run = harness().run({"action": "progress"})
    assert run.progress == [0.0, 0.5, 1.0]
    assert any("invalid progress" in m for m in run.messages("error"))


def test_sigkill_like_the_stop_button() -> None:
    running = harness().start({"action": "sleep", "seconds": "30"})
    assert wait_until(lambda: b"sleeping" in running.process_stderr_so_far(), timeout=10)
    assert running.is_running()
    running.kill()
    run = running.wait(timeout=10)
    assert run.killed
    assert run.messages("info") == ["sleeping"]
    assert run.exit_code != 0 and run.error == "signal: killed"
    assert run.duration_s < 10


def test_stdout_and_stderr_parsers_directly() -> None:
    assert decode_stdout('{"output": {"a": 1}, "error": null}\n') == ({"a": 1}, None)
    assert decode_stdout('"just a string"') == ('"just a string"', None)
    assert decode_stdout('{"output": 1}{"output": 2}')[0] == '{"output": 1}{"output": 2}'
    logs, progress, overlong = parse_stderr(b"\x01i\x02 hi \n\n\x01z\x02odd\n", errlog="warning")
    assert [(x.level, x.message) for x in logs] == [("info", "hi"), ("warning", "\x01z\x02odd")]
    assert progress == [] and not overlong
    assert go_json({"k": "é\u2028"}) == '{"k":"é\\u2028"}'.encode()


def test_manifest_defaults_are_strings(tmp_path: Path) -> None:
    (tmp_path / "Stash2Plex.yml").write_text(
        "name: X\nexec: [python, '{pluginDir}/Stash2Plex.py']\ninterface: raw\n"
        "tasks:\n  - name: Go\n    defaultArgs: {mode: go, full: true, limit: 50}\n"
        "hooks:\n  - name: H\n    triggeredBy: [Scene.Update.Post]\n"
        "    defaultArgs: {mode: hook}\n"
    )
    manifest = PluginManifest.load(tmp_path / "Stash2Plex.yml")
    task = manifest.task("Go")
    assert task is not None and task.default_args == {"mode": "go", "full": "true", "limit": "50"}
    assert [h.name for h in manifest.hooks_for("Scene.Update.Post")] == ["H"]
    assert manifest.hooks_for("Scene.Create.Post") == []
    args = PluginHarness(plugin_dir=tmp_path).hook_args("Scene.Update.Post", 0, None)
    assert args == {"mode": "hook", "hookContext": {"type": "Scene.Update.Post", "input": None}}
