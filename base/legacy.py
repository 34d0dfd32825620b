"""What Stash2Plex 1.x leaves in its data folder and plugin folder: names, and how to tell.

Standard library only, no project imports: the takeover (tasks/takeover.py) and Health Check
(doctor/) share these facts. Source: ../shared/reference/earlier-stash2plex.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "DEVICE_ID_FILE",
    "DLQ_FILE",
    "LEFT_ALONE",
    "MIGRATED_SUFFIX",
    "QUEUE_DIR",
    "RECONCILIATION_FILE",
    "RENAMED",
    "TIMESTAMPS_FILE",
    "has_legacy_data",
    "looks_like_legacy_install",
    "migrated_name",
]

QUEUE_DIR = "queue"  # persist-queue SQLiteAckQueue folder
DLQ_FILE = "dlq.db"
TIMESTAMPS_FILE = "sync_timestamps.json"
RECONCILIATION_FILE = "reconciliation_state.json"  # the same name as ours: migrated in place
DEVICE_ID_FILE = "device_id.json"
# Names distinct from ours, renamed `*.migrated` once their content is committed here.
RENAMED = (QUEUE_DIR, DLQ_FILE, TIMESTAMPS_FILE, DEVICE_ID_FILE)
# Its other runtime state: nothing worth carrying over; the README says they can be deleted.
LEFT_ALONE = ("circuit_breaker.json", "stats.json", "cache", "match_cache")
MIGRATED_SUFFIX = ".migrated"

# Settings only its manifest declares (reference "Its settings"): ours has none of them, so a
# manifest naming one of them under `settings:` is 1.x's.
_ONLY_IN_1X = re.compile(
    rb"^[ \t]+(strict_matching|sync_master|poll_interval|obfuscate_paths|skip_not_found):",
    re.MULTILINE,
)
_MANIFEST_LIMIT = 256 * 1024


def migrated_name(name: str) -> str:
    return name + MIGRATED_SUFFIX


def has_legacy_data(folder: Path) -> bool:
    """True when `folder` still holds a 1.x file that is carried over and then renamed."""
    return any(os.path.lexists(folder / name) for name in RENAMED)


def looks_like_legacy_install(folder: Path) -> bool:
    """True when `folder` is a Stash2Plex 1.x plugin folder.

    Stash takes a plugin's id from its manifest's file name, compared case-insensitively
    (reference/stash.md §1.1), so a 1.x install has a `Stash2Plex.yml` (any case); what tells
    it from ours is that manifest declaring a setting only 1.x has. A folder whose manifest
    is gone but whose `data/` still holds 1.x files counts too: its data would be missed.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    for name in names:
        if name.lower() != "stash2plex.yml":
            continue
        try:
            with open(folder / name, "rb") as handle:
                if _ONLY_IN_1X.search(handle.read(_MANIFEST_LIMIT)):
                    return True
        except OSError:
            continue
    return "Stash2Plex.py" in names and has_legacy_data(folder / "data")
