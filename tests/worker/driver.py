"""Entry script of the worker subprocess tests: Stash2Plex.py with the scripted Plex step.

Started by `PluginHarness(entry=...)` exactly as Stash starts Stash2Plex.py (fresh
interpreter, cwd elsewhere, Go-encoded stdin); tasks get `tests.worker.fakes`' services,
hooks run unchanged. Dependencies are the virtualenv's (no install check).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    sys.path.insert(0, str(REPO))
    raw = sys.stdin.buffer.read()
    services = None
    if b'"hookContext"' not in raw:
        from tests.worker.fakes import services_from_env

        services = services_from_env(os.environ)
    from plugin.app import run

    return run(
        raw,
        plugin_dir=REPO,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr.buffer,
        ensure_deps=lambda ctx: None,
        services=services,
    )


if __name__ == "__main__":
    sys.exit(main())
