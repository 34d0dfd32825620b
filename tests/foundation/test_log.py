"""Stash's stderr protocol: exact bytes, multi-line, caps, progress, debug, redaction."""

from __future__ import annotations

import io
import logging
import warnings

import pytest

from sandbox.harness import LogLine, parse_stderr
from stash.log import MAX_LINES_PER_MESSAGE, LogStream, Redactor, StashLog
from stash.log_bridge import bridge_python_logging, remove_bridge
from tests.foundation.conftest import API_KEY, PLEX_TOKEN, SESSION_COOKIE


def make_log(**options: object) -> tuple[StashLog, io.BytesIO]:
    stream = io.BytesIO()
    return StashLog(stream, **options), stream  # type: ignore[arg-type]


def test_levels_are_exact_protocol_bytes() -> None:
    log, stream = make_log()
    log.info("Synced 12 scenes")
    log.warning("careful")
    log.error("broken")
    log.log("info", "by name")
    assert stream.getvalue() == (
        b"\x01i\x02Synced 12 scenes\n\x01w\x02careful\n\x01e\x02broken\n\x01i\x02by name\n"
    )


def test_every_line_of_a_multi_line_message_is_prefixed() -> None:
    log, stream = make_log()
    log.error("first\nsecond\r\nthird\n\n")
    assert stream.getvalue() == b"\x01e\x02first\n\x01e\x02second\n\x01e\x02third\n"


def test_lines_are_utf8_and_control_characters_escaped() -> None:
    log, stream = make_log()
    log.info("Émilie 🎬 \u202eRTL\x00nul\x1b[31m")
    assert stream.getvalue() == "\x01i\x02Émilie 🎬 \u202eRTL\\x00nul\\x1b[31m\n".encode()


def test_lines_are_capped_in_utf8_bytes_far_below_64_kib() -> None:
    log, stream = make_log(max_line_bytes=100)
    log.info("é" * 1000)
    line = stream.getvalue()
    assert line.startswith(b"\x01i\x02") and line.endswith(b"bytes]\n")
    assert len(line) <= 3 + 100 + 1
    line.decode("utf-8")  # cut at a character boundary
    big, big_stream = make_log()
    big.info("x" * 200_000)
    assert len(big_stream.getvalue()) < 5000
    logs, _, overlong = parse_stderr(big_stream.getvalue())
    assert not overlong and len(logs) == 1


def test_messages_with_thousands_of_lines_are_cut() -> None:
    log, stream = make_log()
    log.info("\n".join(f"line {i}" for i in range(5000)))
    logs, _, _ = parse_stderr(stream.getvalue())
    assert len(logs) == MAX_LINES_PER_MESSAGE
    assert logs[-1].message.endswith("more lines]")


def test_progress_only_for_tasks_and_clamped() -> None:
    hook_log, hook_stream = make_log()
    hook_log.progress(0.5)
    assert hook_stream.getvalue() == b""
    task_log, task_stream = make_log(progress_enabled=True)
    for value in (0.25, 1.7, -3, float("nan")):
        task_log.progress(value)
    assert task_stream.getvalue() == b"\x01p\x020.2500\n\x01p\x021.0000\n\x01p\x020.0000\n"


def test_debug_lines_only_with_debug_logging_and_then_at_info() -> None:
    quiet, quiet_stream = make_log()
    quiet.debug("hidden")
    quiet.trace("hidden too")
    assert quiet_stream.getvalue() == b""
    loud, loud_stream = make_log(debug_enabled=True)
    loud.debug("shown\nsecond")
    assert loud_stream.getvalue() == b"\x01i\x02[debug] shown\n\x01i\x02[debug] second\n"


def test_registered_secrets_are_redacted_in_every_form() -> None:
    log, stream = make_log()
    for secret in (PLEX_TOKEN, SESSION_COOKIE, API_KEY):
        log.add_secret(secret)
    log.error(f"token {PLEX_TOKEN} cookie {SESSION_COOKIE}\napi {API_KEY}")
    encoded = SESSION_COOKIE.replace("=", "%3D")
    log.info(f"url-encoded: {encoded}")
    text = stream.getvalue().decode()
    for secret in (PLEX_TOKEN, SESSION_COOKIE, API_KEY, encoded):
        assert secret not in text
    assert text.count("***") == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET http://plex:32400/library?X-Plex-Token=abc123def&x=1", "X-Plex-Token=***&x=1"),
        ("header X-Plex-Token: abc123def", "X-Plex-Token: ***"),
        ("GET /scene/1/screenshot?apikey=abcdef12", "apikey=***"),
        ("ApiKey: abcdef12 sent", "ApiKey: *** sent"),
        ("Cookie: session=MTcabc123", "Cookie: session=***"),
        ('{"plex_token": "abc123def"}', '{"plex_token": "***"}'),
        ("{'api_key': 'abc123def'}", "{'api_key': '***'}"),
        ("https://user:hunter22@plex.example.org/", "https://***@plex.example.org/"),
    ],
)
def test_generic_patterns_redact_unregistered_credentials(text: str, expected: str) -> None:
    redacted = Redactor().redact(text)
    assert expected in redacted
    assert "abc123def" not in redacted and "hunter22" not in redacted


def test_harmless_text_is_left_alone() -> None:
    text = "Synced 3 scenes; tokens: 5; keyboard session over"
    assert Redactor().redact(text) == text


def test_redact_obj_walks_keys_and_values() -> None:
    redactor = Redactor([PLEX_TOKEN])
    data = {"a": [PLEX_TOKEN, {"k": f"x{PLEX_TOKEN}"}], PLEX_TOKEN: 1, "n": 3}
    assert redactor.redact_obj(data) == {"a": ["***", {"k": "x***"}], "***": 1, "n": 3}


def test_short_values_are_not_registered_as_secrets() -> None:
    redactor = Redactor(["ab", None, ""])
    assert redactor.redact("ab ab") == "ab ab"


def test_log_stream_holds_lines_until_drained_so_late_secrets_are_redacted() -> None:
    log, stream = make_log()
    out = LogStream(log, "info", "[stdout] ")
    out.write("partial ")
    out.write(f"line {PLEX_TOKEN}\nsecond\n\nthird")
    out.flush()  # a library flushing does not release anything
    assert stream.getvalue() == b""
    log.add_secret(PLEX_TOKEN)  # learned after the write
    out.drain()
    assert stream.getvalue() == (
        b"\x01i\x02[stdout] partial line ***\n\x01i\x02[stdout] second\n\x01i\x02[stdout] third\n"
    )


def test_log_stream_releases_early_past_its_hold_limit() -> None:
    log, stream = make_log()
    out = LogStream(log, "warning", hold_lines=3)
    out.write("a\nb\nc\n")
    assert stream.getvalue() == b""
    out.write("d\n")
    assert stream.getvalue().count(b"\x01w\x02") == 4


def test_a_closed_pipe_silences_the_log() -> None:
    class BrokenPipe(io.RawIOBase):
        writes = 0

        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:  # type: ignore[override]
            BrokenPipe.writes += 1
            raise BrokenPipeError

    log = StashLog(BrokenPipe())
    log.info("first")
    log.info("second")
    assert BrokenPipe.writes == 1


def test_python_logging_and_warnings_are_bridged_and_redacted() -> None:
    # A local secret: pytest's own log capture sees these records before any redaction.
    secret = "bridge-secret-4711"
    log, stream = make_log()
    log.add_secret(secret)
    root = logging.getLogger()
    level_before = root.level
    handler = bridge_python_logging(log)
    try:
        logging.getLogger("plexapi").warning("request failed for token %s", secret)
        logging.getLogger("urllib3").info("connection pool detail")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(f"insecure request with {secret}", stacklevel=1)
    finally:
        remove_bridge(handler)
    assert handler not in root.handlers and root.level == level_before
    logs, _, _ = parse_stderr(stream.getvalue())
    assert handler.stash_log is log
    assert logs[0] == LogLine("warning", "plexapi: request failed for token ***")
    assert all(entry.level == "warning" for entry in logs)
    assert any("insecure request with ***" in entry.message for entry in logs[1:])
    assert not any("connection pool" in entry.message for entry in logs)
    assert secret not in stream.getvalue().decode()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "scene 8: \"/data/v/Return Films/Director's Cut - 8.mp4\" -> Plex item ('/m/x y.mkv')",
            "scene 8: \"[path hidden]\" -> Plex item ('[path hidden]')",
        ),
        (
            "basename 'Clip 01.MP4' is used by 2 scenes",
            "basename '[path hidden]' is used by 2 scenes",
        ),
        ("folders: /media/videos/Clips, D:\\Videos\\x", "folders: [path hidden], [path hidden]"),
        ("\\\\nas\\share\\a.avi missing", "[path hidden] missing"),
        # not files: API routes, URLs, words with a slash, the allowed path-map value
        ("PUT /library/sections/1/all 400", "PUT /library/sections/1/all 400"),
        ("http://127.0.0.1:9999/graphql and/or 3/4", "http://127.0.0.1:9999/graphql and/or 3/4"),
        ("set path_map to exactly: /data=>/media", "set path_map to exactly: /data=>/media"),
    ],
)
def test_hide_paths_replaces_paths_and_file_names_only(text: str, shown: str) -> None:
    log, out = make_log()
    log.info(text)  # off: verbatim
    log.redactor.hide_paths = True
    log.redactor.allow_path_text("/data=>/media")
    log.info(text)
    plain, hidden = [line.message for line in parse_stderr(out.getvalue())[0]]
    assert (plain, hidden) == (text, shown)
    output = log.redactor.redact_obj({"path": "/data/a b/c.mp4", "map": "/data=>/media"})
    assert output == {"path": "[path hidden]", "map": "/data=>/media"}
