"""Invocation parsing, and every bad stdin kind through the real entry script."""

from __future__ import annotations

import json

import pytest

from base.errors import InvocationError
from plugin.hooks import scene_ids_of
from plugin.invocation import parse_invocation
from runtime.invocation import HookEvent
from tests.foundation.conftest import SESSION_COOKIE, assert_single_result, connection


def _stdin(args: object, conn: object = None) -> bytes:
    document = {"server_connection": connection() if conn is None else conn, "args": args}
    return json.dumps(document).encode()


def test_task_invocation() -> None:
    invocation = parse_invocation(_stdin({"mode": " status ", "days": "30"}))
    assert invocation.is_task and not invocation.is_hook
    assert invocation.mode == "status" and invocation.args == {"mode": " status ", "days": "30"}
    assert invocation.session_cookie == SESSION_COOKIE
    assert SESSION_COOKIE not in repr(invocation)


def test_hook_invocation_go_encoded_with_bom_tolerance() -> None:
    raw = (
        b'\xef\xbb\xbf{"server_connection":{"Port":9999,"SessionCookie":null},'
        b'"args":{"hookContext":{"id":13,"type":"Scene.Update.Post",'
        b'"input":{"ids":["12","13"],"title":"a \\u003c b"},"inputFields":["ids","title"]},'
        b'"mode":"hook"}}'
    )
    invocation = parse_invocation(raw)
    assert invocation.is_hook and invocation.session_cookie is None
    assert invocation.hook == HookEvent(
        "Scene.Update.Post", 13, {"ids": ["12", "13"], "title": "a < b"}, ("ids", "title")
    )
    assert invocation.hook.entity == "Scene"
    assert "hookContext" not in invocation.args and invocation.args == {"mode": "hook"}


def test_omitted_hook_id_and_input_fields() -> None:
    invocation = parse_invocation(_stdin({"hookContext": {"type": "Scene.Create.Post"}}))
    assert invocation.hook == HookEvent("Scene.Create.Post", None, None, ())


BAD_STDIN = {
    "empty": (b"", "stdin is empty"),
    "whitespace": (b" \n\t ", "stdin is empty"),
    "not JSON": (b"{mode: status", "stdin is not JSON (error at line 1 column 2)"),
    "not UTF-8": (b'{"args": "\xff\xfe"}', "stdin is not UTF-8 text"),
    "JSON array": (b"[1, 2]", "stdin must be a JSON object, got an array"),
    "JSON string": (b'"status"', "stdin must be a JSON object, got a string"),
    "no server_connection": (b'{"args": {"mode": "status"}}', "no server_connection"),
    "missing args": (json.dumps({"server_connection": {}}).encode(), "stdin has no args object"),
    "args not an object": (_stdin(["status"]), "args must be an object, got an array"),
    "no mode": (_stdin({"dryRun": "true"}), "args.mode is missing"),
    "mode not a string": (_stdin({"mode": 7}), "args.mode must be a string, got a number"),
    "hookContext not an object": (
        _stdin({"hookContext": "Scene.Update.Post"}),
        "args.hookContext must be an object, got a string",
    ),
    "hookContext without type": (
        _stdin({"hookContext": {"id": 3}}),
        "args.hookContext.type must name the trigger",
    ),
    "hookContext bad id": (
        _stdin({"hookContext": {"id": [3], "type": "Scene.Update.Post"}}),
        "hookContext.id must be a number, got an array",
    ),
    "hookContext bad inputFields": (
        _stdin({"hookContext": {"id": 3, "type": "Scene.Update.Post", "inputFields": "id"}}),
        "inputFields must be a list of field names",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_STDIN))
def test_bad_stdin_raises_one_clear_message(kind: str) -> None:
    raw, message = BAD_STDIN[kind]
    with pytest.raises(InvocationError) as raised:
        parse_invocation(raw)
    assert message in str(raised.value) and "\n" not in str(raised.value)


SUBPROCESS_KINDS = [
    "empty",
    "whitespace",
    "not JSON",
    "JSON array",
    "missing args",
    "args not an object",
    "hookContext bad id",
    "no mode",
]


@pytest.mark.parametrize("kind", SUBPROCESS_KINDS)
def test_bad_stdin_through_the_entry_exits_1_with_one_line(harness, kind: str) -> None:
    raw, message = BAD_STDIN[kind]
    run = harness.run({}, raw_stdin=raw)
    assert run.exit_code == 1
    document = assert_single_result(run)
    assert document["output"] is None and message in document["error"]
    assert run.error == document["error"]
    assert [(line.level, line.message) for line in run.logs] == [("error", document["error"])]


def test_unknown_mode_and_unknown_trigger_fail_loudly(harness) -> None:
    run = harness.run_task("sync_everything_now")
    assert run.exit_code == 1
    prefix = "unknown task mode 'sync_everything_now' (known modes: "
    assert run.error.startswith(prefix)
    listed = run.error[len(prefix) :]
    assert listed.startswith("process_queue, ")  # the table's modes, in table order
    assert "sync_everything_now" not in listed
    assert run.messages() == [run.error]
    hook = harness.run_hook("Gallery.Update.Post", 4)
    assert hook.exit_code == 1 and "no handler for hook trigger 'Gallery.Update.Post'" in hook.error
    assert len(hook.logs) == 1


def test_a_huge_unknown_mode_is_truncated_in_the_message(harness) -> None:
    run = harness.run_task("x" * 100_000)
    assert run.exit_code == 1 and len(run.error) < 200 and len(run.stdout) < 400


@pytest.mark.parametrize(
    ("trigger", "hook_id", "hook_input", "expected", "ignored"),
    [
        ("Scene.Update.Post", 45, {"id": "45", "rating100": 80}, [45], 0),
        ("Scene.Update.Post", 13, {"ids": ["12", "13", "14"], "tag_ids": {}}, [13, 12, 14], 0),
        ("Scene.Update.Post", 2, [{"id": "1"}, {"id": "2"}, {"id": "x"}], [2, 1], 1),
        ("Scene.Update.Post", 5, {"ids": None, "id": "5"}, [5], 0),
        ("Scene.Update.Post", None, {"ids": ["7", 8, "bad", True, -1]}, [7, 8], 3),
        ("Scene.Create.Post", 101, None, [101], 0),
        ("Scene.Destroy.Post", 45, {"id": "45", "ids": ["1", "2"], "path": "/a.mp4"}, [45], 0),
    ],
)
def test_scene_ids_of_hook_events(
    trigger: str, hook_id: int | None, hook_input: object, expected: list[int], ignored: int
) -> None:
    assert scene_ids_of(HookEvent(trigger, hook_id, hook_input)) == (expected, ignored)


def test_a_scene_hook_without_any_id_is_an_invocation_error() -> None:
    with pytest.raises(InvocationError, match="carries no scene id"):
        scene_ids_of(HookEvent("Scene.Destroy.Post", None, {"id": ""}))
