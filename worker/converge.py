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

__all__ = ["PendingBaselines", "fetch_baselines", "kept_baselines"]


class PendingBaselines(dict[int, dict[str, str]]):
    """A state's `baselines` placeholder for "written: fetch them after the batch". Empty, so
    a state stored without the fetch simply has no baseline (the diff then compares as it did
    before baselines existed). `kept` holds the previous baselines of the fields the write
    left alone as hand edits (`preserve_plex_edits`): Plex's hand-edited value must not
    become the baseline, or turning the setting off would never restore the field."""

    def __init__(self, previous: Mapping[int, Mapping[str, str]], preserved: Iterable[str]):
        super().__init__()
        names = tuple(preserved)
        self.kept = {rk: {n: base.get(n) for n in names} for rk, base in previous.items()}
        self.preserved = names

    def settle(self, rating_key: int, fresh: dict[str, str]) -> dict[str, str]:
        for name in self.preserved:
            old = self.kept.get(rating_key, {}).get(name)
            if old is None:
                fresh.pop(name, None)
            else:
                fresh[name] = old
        return fresh


Fetch = Callable[[Iterable[int]], Mapping[int, PlexItemSnapshot]]


def fetch_baselines(fetch: Fetch, states: list[SceneSyncState]) -> list[SceneSyncState]:
    """`states` with fresh baselines for those marked `PendingBaselines` (one fetch for all)."""
    written = [s for s in states if isinstance(s.baselines, PendingBaselines)]
    if not written:
        return states
    snapshots = fetch([rk for s in written for _, rk in s.targets])
    done: list[SceneSyncState] = []
    for state in states:
        pending = state.baselines
        if isinstance(pending, PendingBaselines):
            fresh = {
                rk: pending.settle(rk, baseline_of(snapshots[rk]))
                for _, rk in state.targets
                if rk in snapshots
            }
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
