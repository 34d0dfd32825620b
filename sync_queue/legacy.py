"""Read an earlier Stash2Plex's `sync_timestamps.json` for the one-time migration.

Pure apart from reading the file; never writes or deletes it. The old format is not
documented, so this accepts what such a file plausibly holds: a JSON object of scene id
(string or int) → epoch seconds (number or digit string; milliseconds when implausibly
large) or an RFC3339/ISO timestamp string. Entries that fit none of these are skipped and
counted; a file that is not a JSON object is corrupt as a whole.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

from base.timestamps import parse_rfc3339

__all__ = ["LEGACY_FILE", "LegacyTimestamps", "legacy_epoch", "read_legacy_timestamps"]

LEGACY_FILE = "sync_timestamps.json"
_MS_THRESHOLD = 1e11  # 5138 AD in seconds, 1973 in milliseconds


@dataclass(frozen=True)
class LegacyTimestamps:
    entries: dict[int, float]  # scene id → epoch seconds
    skipped: int  # entries that were not a scene id with a usable time


def read_legacy_timestamps(path: str | os.PathLike[str]) -> LegacyTimestamps | None:
    """The file's usable entries, or None when the file is corrupt (not a JSON object).

    Raises OSError when the file cannot be read at all (the caller retries later).
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    entries: dict[int, float] = {}
    skipped = 0
    for key, value in document.items():
        scene_id = _scene_id(key)
        epoch = legacy_epoch(value)
        if scene_id is None or epoch is None:
            skipped += 1
            continue
        entries[scene_id] = max(epoch, entries.get(scene_id, epoch))
    return LegacyTimestamps(entries, skipped)


def legacy_epoch(value: object) -> float | None:
    """Epoch seconds of one stored value, None when unusable."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return _positive(float(text)) if text else None
        except ValueError:
            return parse_rfc3339(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _positive(float(value))


def _positive(number: float) -> float | None:
    if not math.isfinite(number) or number <= 0:
        return None
    return number / 1000.0 if number > _MS_THRESHOLD else number


def _scene_id(key: str) -> int | None:
    text = key.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value > 0 else None
