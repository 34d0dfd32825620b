"""The secrets the sandbox hands out and what plugin processes printed: the suite's leak guard.

Emulators register every token, session cookie, API key and password they issue; the harness
(and tests running the plugin in-process) note every stdout and stderr a plugin run
produced. tests/conftest.py fails any test whose captured output, or whose plugin runs'
output, contains a registered secret (SPEC §7: tokens, cookies and API keys never appear in
any log line, status output or error message).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

__all__ = ["known", "leaked", "note_output", "register", "take_outputs"]

MIN_LENGTH = 8  # shorter values (test placeholders like "x") would match by accident

_lock = threading.Lock()
_secrets: set[str] = set()
_outputs: list[str] = []


def register(*values: str | None) -> None:
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= MIN_LENGTH)


def known() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def note_output(*texts: str | bytes | None) -> None:
    """Record what a plugin run printed (stdout, stderr) for the next leak check."""
    decoded = [t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in texts if t]
    with _lock:
        _outputs.extend(decoded)


def take_outputs() -> list[str]:
    with _lock:
        taken = list(_outputs)
        _outputs.clear()
    return taken


def leaked(texts: Iterable[str]) -> list[str]:
    """Descriptions (never the values) of the registered secrets found in `texts`."""
    found = []
    texts = list(texts)
    for secret in sorted(known()):
        if any(secret in text for text in texts):
            found.append(f"a registered secret of {len(secret)} characters ({secret[:2]}…)")
    return found
