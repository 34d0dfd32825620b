"""Post-write baselines: what Plex actually holds for an item right after our writes.

An edit PUT answers 200 with an empty body (plex.md), so only a fetch after the writes tells
what Plex stored (a normalised value, a lock it never reports); `plex.diff` compares against it.
"""

from __future__ import annotations

from collections.abc import Mapping

from plex.diff import BASE_LOCKS, normalize_plex_value
from plex.items import PlexItemSnapshot
from validation.desired import RULES
from validation.fingerprint import fingerprint_value

__all__ = ["BASE_LOCKS", "BASE_UPDATED_AT", "baseline_of", "moved_since"]

BASE_UPDATED_AT = "@updatedAt"  # the item's updatedAt after our write (images: moved_since)


def baseline_of(snapshot: PlexItemSnapshot) -> dict[str, str]:
    """Field name -> fingerprint of the value Plex holds, plus its locks and `updatedAt`."""
    state = snapshot.to_state()
    base: dict[str, str] = {}
    for name, rule in RULES.items():
        if rule.kind == "image":
            continue
        raw = state.tags.get(name) if rule.kind == "tags" else state.fields.get(name)
        base[name] = fingerprint_value(normalize_plex_value(name, raw))
    base[BASE_LOCKS] = ",".join(sorted(state.locked))
    if snapshot.updated_at is not None:
        base[BASE_UPDATED_AT] = str(int(snapshot.updated_at))
    return base


def moved_since(snapshot: PlexItemSnapshot, baseline: Mapping[str, str] | None) -> bool:
    """The item changed in Plex since our last write (`updatedAt` moved); False without a
    recorded `updatedAt` (nothing to compare: the stored image hashes decide, as before)."""
    if not baseline or BASE_UPDATED_AT not in baseline or snapshot.updated_at is None:
        return False
    return str(int(snapshot.updated_at)) != baseline[BASE_UPDATED_AT]
