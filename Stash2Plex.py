#!/usr/bin/env python3
"""Stash2Plex entry point: Stash starts this file once per hook and once per task.

Reads the invocation from stdin, dispatches it through `plugin.dispatch`'s table and writes
one JSON result to stdout (see `plugin.app`). Standard library only until a task's handler
runs, so a hook costs milliseconds (SPEC §2.1). Runs from any working directory.
"""

from __future__ import annotations

import os
import sys

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))


def _use_utf8(stream: object) -> None:
    """UTF-8 whatever the console code page (Windows), for anything that writes text."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8", errors="backslashreplace")


def _binary(stream: object, fallback_mode: str) -> object:
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else open(os.devnull, fallback_mode)


def main() -> int:
    # Our packages first, whatever the cwd and whatever PYTHONPATH holds (sibling plugins).
    if not sys.path or os.path.abspath(sys.path[0] or os.curdir) != PLUGIN_DIR:
        sys.path.insert(0, PLUGIN_DIR)
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        _use_utf8(stream)
    stdin = _binary(sys.stdin, "rb")
    raw = stdin.read()  # type: ignore[attr-defined]

    from pathlib import Path

    from plugin.app import run

    return run(
        raw,
        plugin_dir=Path(PLUGIN_DIR),
        stdout=_binary(sys.stdout, "wb"),  # type: ignore[arg-type]
        stderr=_binary(sys.stderr, "wb"),  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    sys.exit(main())
