"""The Health Check's one-screen report: a line per check, its fix, and the final verdict.
Pure rendering of `CheckResult`s into (log level, text) pairs, in the users' words.

Every line passes `runtime.voice.line` (one line, at most 300 characters at info). A warning
or failure keeps its fix whole, since the fix may carry a value to paste (the suggested
`path_map`): the description gives way first. Exception class names that a quoted message
carries ("cannot reach Plex (ConnectionError on GET /)") are put into words by `plain`.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Sequence

from base.errors import Stash2PlexError
from doctor.result import FAIL, OK, SKIP, WARN, CheckResult
from runtime.voice import INFO_LIMIT, line

__all__ = ["plain", "plain_results", "render", "verdict"]

_MARK = {OK: "OK  ", WARN: "WARN", FAIL: "FAIL", SKIP: "SKIP"}
_LEVEL = {OK: "info", WARN: "warning", FAIL: "error", SKIP: "info"}
_FIX = " → Fix: "
# The description of a warning or failure keeps at least this much when a fix is long.
_MIN_DESCRIPTION = 80
# A fix is ours and short; only a pasted value (several long path_map rules) makes it long.
_FIX_LIMIT = 1000

# Class names that reach messages, in words. Any other class name becomes "error".
_WORDS = {
    "ConnectionError": "connection failed",
    "ConnectTimeout": "no connection in time",
    "ReadTimeout": "no answer in time",
    "Timeout": "no answer in time",
    "SSLError": "TLS error",
    "ProxyError": "proxy failed",
    "ChunkedEncodingError": "answer cut off",
    "PlexServerDown": "Plex unreachable",
    "PlexAuthError": "token rejected",
    "PlexTransient": "temporary Plex trouble",
    "PlexNotFound": "not found in Plex",
    "PlexBadRequest": "refused by Plex",
    "StashUnavailable": "Stash unreachable",
    "StashAuthError": "Stash refused the credentials",
    "ConfigError": "setting problem",
    "LockTimeout": "another run holds the lock",
    # A reason word the worker stores for a file Plex has not scanned yet.
    "NotScannedYet": "not scanned yet",
}
_SHAPED = re.compile(r"[A-Z][A-Za-z0-9]*(?:Error|Exception|Timeout|Warning)")
# A capitalised word standing alone: not part of a path, a file name or a quoted name.
_WORD = re.compile(r"(?<![\w/\\.\-'\"])[A-Z][A-Za-z0-9]+(?![\w/\\.\-'\"])")


def _class_names() -> set[str]:
    """Every exception class name a message may quote: builtins, the project's, known ones."""
    names = set(_WORDS)
    names.update(n for n, v in vars(builtins).items() if isinstance(v, type) and n[0].isupper())
    pending: list[type] = [Stash2PlexError]
    while pending:  # the adapters' leaves are loaded by the time anything is rendered
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return {n for n in names if n[0].isupper() and len(n) > 3}


def plain(text: str) -> str:
    """`text` without exception class names: known ones in words, others as "error".

    A name inside a path or a file name (next to `/`, `\\`, `.`, `_` or `-`) is left alone.
    """
    if not text:
        return text
    names = _class_names()

    def swap(match: re.Match[str]) -> str:
        name = match.group(0)
        if name not in names and not _SHAPED.fullmatch(name):
            return name
        return _WORDS.get(name, "error")

    return _WORD.sub(swap, text)


def plain_results(results: Sequence[CheckResult]) -> list[CheckResult]:
    """The results with their line and fix in plain words (for the log and the JSON)."""
    return [dataclasses.replace(r, line=plain(r.line), fix=plain(r.fix)) for r in results]


def _render_one(result: CheckResult) -> str:
    head = f"[{_MARK.get(result.status, result.status)}] "
    if not (result.fix and result.status in (WARN, FAIL)):
        return head + line(result.line, INFO_LIMIT - len(head))  # the mark keeps its spaces
    tail = _FIX + line(result.fix, _FIX_LIMIT)
    room = max(INFO_LIMIT - len(head) - len(tail), _MIN_DESCRIPTION)
    return head + line(result.line, room) + tail


def render(results: Sequence[CheckResult]) -> list[tuple[str, str]]:
    """(level, line) per check: `[FAIL] what was found → Fix: what to do`."""
    return [(_LEVEL.get(r.status, "info"), _render_one(r)) for r in results]


def verdict(results: Sequence[CheckResult]) -> tuple[bool, str]:
    """(ready, line): "ready", or the first failed check's fix."""
    first = next((r for r in results if r.status == FAIL), None)
    if first is None:
        warnings = sum(1 for r in results if r.status == WARN)
        extra = f" ({warnings} warning(s) above)" if warnings else ""
        return True, line(f"Verdict: ready{extra}")
    return False, line(f"Verdict: not ready. First fix: {first.fix or first.line}", _FIX_LIMIT)
