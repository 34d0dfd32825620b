"""Post-write baselines of a batch (issue 15): which states need one, and fetching them.

An edit PUT answers an empty 200, so after a batch's writes the written items are fetched once
more (one multi-key request per 100 items) and what Plex holds becomes each state's baseline
(`plex.baseline`); scenes that wrote nothing keep theirs, with the `updatedAt` seen now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from plex.baseline import BASE_UPDATED_AT, baseline_of
from plex.items import PlexItemSnapshot
from sync_queue.sync_state import SceneSyncState

__all__ = ["WRITTEN", "fetch_baselines", "kept_baselines"]

# A state's `baselines` placeholder for "written: fetch them after the batch" (compared by
# identity; empty, so a state stored without the fetch simply has no baseline and the diff
# compares as it did before baselines existed).
WRITTEN: dict[int, dict[str, str]] = {}

Fetch = Callable[[Iterable[int]], Mapping[int, PlexItemSnapshot]]


def fetch_baselines(fetch: Fetch, states: list[SceneSyncState]) -> list[SceneSyncState]:
    """`states` with fresh baselines for those marked `WRITTEN` (one fetch for all of them)."""
    written = [s for s in states if s.baselines is WRITTEN]
    if not written:
        return states
    snapshots = fetch([rk for s in written for _, rk in s.targets])
    done: list[SceneSyncState] = []
    for state in states:
        if state.baselines is WRITTEN:
            fresh = {rk: baseline_of(snapshots[rk]) for _, rk in state.targets if rk in snapshots}
            state = replace(state, baselines=fresh)
        done.append(state)
    return done


def kept_baselines(
    previous: Mapping[int, Mapping[str, str]],
    targets: Iterable[tuple[int, int]],
    snapshots: Mapping[int, PlexItemSnapshot],
) -> dict[int, dict[str, str]]:
    """The stored baselines of a scene that wrote nothing, with the `updatedAt` seen now: the
    writer has looked at a moved item's images, so reconciliation need not send it back
    (the field values stay the baseline, so a hand edit is still seen)."""
    kept = {rk: dict(previous[rk]) for _, rk in targets if rk in previous}
    for rk, base in kept.items():
        seen = snapshots.get(rk)
        if seen is not None and seen.updated_at is not None and BASE_UPDATED_AT in base:
            base[BASE_UPDATED_AT] = str(int(seen.updated_at))
    return kept
