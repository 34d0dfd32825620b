"""The Health Check's one-screen report: a line per check, its fix, and the final verdict.
Pure rendering of `CheckResult`s into (log level, text) pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from doctor.result import FAIL, OK, SKIP, WARN, CheckResult

__all__ = ["render", "verdict"]

_MARK = {OK: "OK  ", WARN: "WARN", FAIL: "FAIL", SKIP: "SKIP"}
_LEVEL = {OK: "info", WARN: "warning", FAIL: "error", SKIP: "info"}


def render(results: Sequence[CheckResult]) -> list[tuple[str, str]]:
    """(level, line) per check: `[FAIL] what was found → Fix: what to do`."""
    lines = []
    for result in results:
        text = f"[{_MARK.get(result.status, result.status)}] {result.line}"
        if result.fix and result.status in (WARN, FAIL):
            text += f" → Fix: {result.fix}"
        lines.append((_LEVEL.get(result.status, "info"), text))
    return lines


def verdict(results: Sequence[CheckResult]) -> tuple[bool, str]:
    """(ready, line): "ready", or the first failed check's fix."""
    first = next((r for r in results if r.status == FAIL), None)
    if first is None:
        warnings = sum(1 for r in results if r.status == WARN)
        extra = f" ({warnings} warning(s) above)" if warnings else ""
        return True, f"Verdict: ready{extra}"
    return False, f"Verdict: not ready. First fix: {first.fix or first.line}"
