"""The settings snapshot: the worker's last validated settings, for the stdlib hook path.

Standard library only. Hooks never ask Stash for settings; they read this small JSON file
in the data folder and fall back to the table's defaults when it is absent or unreadable.
Secret settings are never written to it, whatever the caller passes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

from base.record import Record
from validation.settings_table import SETTINGS, defaults, secret_keys

__all__ = ["SNAPSHOT_FILE", "Snapshot", "read_snapshot", "write_snapshot"]

SNAPSHOT_FILE = "settings_snapshot.json"
_FORMAT = 1
_TYPES: dict[str, tuple[type, ...]] = {
    "STRING": (str,),
    "NUMBER": (int, float),
    "BOOLEAN": (bool,),
}


class Snapshot(Record):
    """Non-secret settings as the hook sees them.

    `settings` has every non-secret key (defaults where the file has none); `written_at` is
    None when no readable snapshot exists, and `problem` then says why when one was found.
    """

    __slots__ = ("configured", "problem", "settings", "written_at")

    def __init__(
        self,
        settings: dict[str, object],
        written_at: float | None = None,
        configured: bool = False,
        problem: str | None = None,
    ) -> None:
        self.settings = settings
        self.written_at = written_at
        self.configured = configured
        self.problem = problem


def _public_defaults() -> dict[str, object]:
    secrets = secret_keys()
    return {k: v for k, v in defaults().items() if k not in secrets}


def _valid(setting_type: str, value: object) -> bool:
    if isinstance(value, bool) and setting_type == "NUMBER":
        return False
    return isinstance(value, _TYPES[setting_type])


def write_snapshot(
    data_dir: Path,
    values: Mapping[str, object],
    *,
    configured: bool,
    now: float | None = None,
) -> Path:
    """Write the non-secret `values` atomically; `configured` = plex_url and token are set."""
    settings = {
        s.key: values[s.key]
        for s in SETTINGS
        if not s.secret and s.key in values and _valid(s.type, values[s.key])
    }
    document = {
        "format": _FORMAT,
        "written_at": time.time() if now is None else now,
        "configured": bool(configured),
        "settings": settings,
    }
    from base.fileio import atomic_write_bytes  # writers are tasks; keep hooks lean

    path = Path(data_dir) / SNAPSHOT_FILE
    atomic_write_bytes(path, json.dumps(document, indent=1, sort_keys=True).encode("utf-8"))
    return path


def read_snapshot(data_dir: Path) -> Snapshot:
    """The snapshot in `data_dir`, or the defaults. Never raises for a bad or missing file."""
    path = Path(data_dir) / SNAPSHOT_FILE
    settings = _public_defaults()
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return Snapshot(settings)
    except (OSError, ValueError) as exc:
        return Snapshot(settings, problem=f"{SNAPSHOT_FILE} unreadable ({type(exc).__name__})")
    if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
        return Snapshot(settings, problem=f"{SNAPSHOT_FILE} has an unexpected shape")
    stored = document["settings"]
    for setting in SETTINGS:
        if setting.key in settings and _valid(setting.type, stored.get(setting.key)):
            settings[setting.key] = stored[setting.key]
    written_at = document.get("written_at")
    return Snapshot(
        settings,
        written_at=float(written_at) if isinstance(written_at, (int, float)) else None,
        configured=document.get("configured") is True,
    )
