"""The secrets the sandbox hands out and what plugin processes printed: the suite's leak guard.

Emulators register every token, session cookie, API key and password they issue; the harness
(and tests running the plugin in-process) note every stdout and stderr a plugin run
produced, and the files it left in its data folder. tests/conftest.py fails any test whose
captured output, or whose plugin runs' output or files, contains a registered secret (SPEC
§7: tokens, cookies and API keys never appear in any log line, status output, error message
or file). Default secrets are distinctive (`distinctive`): a label no real output contains
plus random characters, so a match is a leak, never a coincidence.
"""

from __future__ import annotations

import os
import secrets as _random
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

__all__ = [
    "Tap",
    "distinctive",
    "known",
    "leaked",
    "note_files",
    "note_output",
    "register",
    "take_outputs",
]

MIN_LENGTH = 8  # shorter values (test placeholders like "x") would match by accident
_MAX_SCANNED_FILE = 64 * 1024 * 1024

_lock = threading.Lock()
_secrets: set[str] = set()
_outputs: list[str] = []
_taps: list[Tap] = []


class Tap:
    """Everything noted while it is open: the plugin outputs seen and file leaks found."""

    def __init__(self, keep_outputs: bool = True) -> None:
        self.keep_outputs = keep_outputs  # False: count runs and file findings only
        self.outputs: list[str] = []
        self.runs = 0
        self.file_findings: list[str] = []
        self.files_scanned = 0

    def __enter__(self) -> Tap:
        with _lock:
            _taps.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            if self in _taps:
                _taps.remove(self)

    def leaks(self) -> list[str]:
        """Descriptions of every registered secret found in outputs or files noted so far."""
        return leaked(self.outputs) + list(self.file_findings)


def distinctive(label: str) -> str:
    """A fresh secret no output can contain by chance (registered with the leak guard)."""
    value = f"S2P{label}Secret-{_random.token_urlsafe(15)}"
    register(value)
    return value


def register(*values: str | None) -> None:
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= MIN_LENGTH)


def known() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def note_output(*texts: str | bytes | None) -> None:
    """Record what one plugin run printed (stdout, stderr) for the next leak check."""
    decoded = [t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in texts if t]
    with _lock:
        _outputs.extend(decoded)
        for tap in _taps:
            if tap.keep_outputs:
                tap.outputs.extend(decoded)
            tap.runs += 1


def note_files(folder: str | os.PathLike[str] | None) -> None:
    """Scan every file under `folder` now (databases included: failed-list reasons are
    exception text); a secret found is kept as a description for the next leak check."""
    if folder is None or not Path(folder).is_dir():
        return
    needles = [(s, f.encode("utf-8")) for s in sorted(known()) for f in _forms(s)]
    findings: list[str] = []
    scanned = 0
    for path in sorted(Path(folder).rglob("*")):
        try:
            if not path.is_file() or path.stat().st_size > _MAX_SCANNED_FILE:
                continue
            data = path.read_bytes()
        except OSError:
            continue  # removed meanwhile (a temp file, a released marker)
        scanned += 1
        found = {secret for secret, raw in needles if raw in data}
        findings += [f"{_describe(secret)} in file {path.name}" for secret in sorted(found)]
    with _lock:
        _outputs.extend(f"\x00file finding: {f}" for f in findings)
        for tap in _taps:
            tap.file_findings.extend(findings)
            tap.files_scanned += scanned


def take_outputs() -> list[str]:
    with _lock:
        taken = list(_outputs)
        _outputs.clear()
    return taken


def _forms(secret: str) -> tuple[str, ...]:
    """The secret as text may carry it: verbatim and URL-encoded (a query parameter, a form
    body). Written apart from the product's `stash.log.secret_forms` on purpose: the guard
    must not share a blind spot of the redaction it checks."""
    return tuple(dict.fromkeys((secret, quote(secret, safe=""), quote(secret), quote_plus(secret))))


def _describe(secret: str) -> str:
    return f"a registered secret of {len(secret)} characters ({secret[:2]}…)"


def leaked(texts: Iterable[str]) -> list[str]:
    """Descriptions (never the values) of the registered secrets found in `texts`."""
    found = []
    texts = list(texts)
    for text in texts:
        if text.startswith("\x00file finding: "):
            found.append(text[len("\x00file finding: ") :])
    for secret in sorted(known()):
        if any(form in text for form in _forms(secret) for text in texts):
            found.append(_describe(secret))
    return found
