"""Drift inputs of one reconciliation run, and the drift gaps of each batch of scenes.

Stash-side drift (`GapDetector.detect_drift`): the fingerprint of the desired state pushed
per scene (`load_pushed_fingerprints`, one SELECT) against the one the same builder and
options (`DesiredOptions.from_config`) give now. Only when some scene was pushed while its
cover was pending does the run ask Stash which scenes still have no cover: one paged
`findScenes(is_missing: "cover")` with fragment `id` (a page per 1,000 such scenes).
A scene also reported `stale_sync` (edited since its push) is not reported as drift too.

Plex-side drift (`GapDetector.detect_plex_drift`, setting `reconcile_verify_plex`): each
synced scene's stored field fingerprints against its items' listing fields in the path index
the run has just refreshed (`ItemSignals.field_fingerprints`). No Plex request either way.
With `preserve_plex_edits` such gaps are reported, never queued (`report_only`). Where a
post-write baseline exists (plex.baseline, issue 15) the listing is compared with what Plex held
after our last write, so a value Plex normalised is no drift.

Moved items (issue 15, whenever the index was refreshed): a synced scene with an image whose
item's listed `updatedAt` moved past the one recorded after our last write is queued as
Plex-side drift, so the worker looks at its images again (one GET each) and pushes a replaced
poster again. No Plex request here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from reconciliation.detector import GAP_PLEX_DRIFT, GAP_STALE_SYNC, GapDetector, GapResult
from reconciliation.scenes import ScenePager
from sync_queue.sync_state import SceneSyncState, SyncStateStore, load_pushed_fingerprints
from validation.desired import IMAGE_FIELDS, DesiredOptions
from validation.drift import cover_managed, is_cover_pending

TYPE_CHECKING = False
if TYPE_CHECKING:
    from plex.index import PathIndex

__all__ = ["COVER_PAGE_SIZE", "DriftCheck"]

COVER_PAGE_SIZE = 1000
MISSING_COVER = {"is_missing": "cover"}


class DriftCheck:
    """Per run: reads the pushed fingerprints at construction (SQLite errors propagate)."""

    def __init__(
        self,
        detector: GapDetector,
        data_dir: str | os.PathLike[str],
        config: Any,
    ) -> None:
        self.detector = detector
        self.data_dir = data_dir
        self.options = DesiredOptions.from_config(config)
        self.pushed = load_pushed_fingerprints(data_dir)
        self.report_only = bool(getattr(config, "preserve_plex_edits", False))
        self.verify_plex = bool(getattr(config, "reconcile_verify_plex", False))
        self.covers_missing: set[int] = set()
        self.requests = 0
        self._index: PathIndex | None = None
        self._moved_index: PathIndex | None = None
        self._store: SyncStateStore | None = None

    def use_index(self, index: PathIndex | None) -> bool:
        """Enable Plex-side drift on the refreshed index; True when it will be checked."""
        self._index = index if self.verify_plex else None
        self._moved_index = index
        if index is not None and self._store is None:
            self._store = SyncStateStore(self.data_dir)
        return self._index is not None

    def load_covers(self, stash: Any, now: float) -> None:
        """Which scenes Stash has no cover for, when any push recorded a pending cover.
        Raises `SceneFetchError` like the scene pages."""
        pending = any(is_cover_pending(fp) for fp in self.pushed.values())
        if not (pending and cover_managed(self.options)):
            return
        pager = ScenePager(
            stash, "all", now, page_size=COVER_PAGE_SIZE, fragment="id", criteria=MISSING_COVER
        )
        try:
            for page in pager.pages():
                self.covers_missing.update(int(str(scene["id"])) for scene in page)
        finally:
            self.requests += pager.requests

    def gaps(self, scenes: list[dict[str, Any]], found: Iterable[GapResult]) -> list[GapResult]:
        """The drift gaps of one batch; `found` are its other gaps (stale scenes are left
        out of drift: their own push covers it)."""
        stale = {gap.scene_id for gap in found if gap.gap_type == GAP_STALE_SYNC}
        gaps = [
            gap
            for gap in self.detector.detect_drift(
                scenes, self.pushed, self.options, self.covers_missing
            )
            if gap.scene_id not in stale
        ]
        if self._index is not None and self._store is not None:
            gaps += self._plex_drift(scenes)
        if self._moved_index is not None and self._store is not None:
            seen = {gap.scene_id for gap in gaps} | {gap.scene_id for gap in found}
            gaps += self._images_moved([s for s in scenes if _id(s) not in seen])
        return gaps

    def _images_moved(self, scenes: list[dict[str, Any]]) -> list[GapResult]:
        from plex.baseline import BASE_UPDATED_AT  # plex modules load after plexapi is set up

        assert self._moved_index is not None and self._store is not None
        ids = [sid for sid in (_id(s) for s in scenes) if sid is not None]
        states = self._store.get_many(ids)
        signals = self._moved_index.signals_for(
            rk for st in states.values() for _, rk in st.targets
        )
        by_id = {_id(s): s for s in scenes}
        gaps: list[GapResult] = []
        for sid, st in states.items():
            if not any(kind in st.fingerprints for kind in IMAGE_FIELDS):
                continue
            moved = [
                rk
                for _, rk in st.targets
                if rk in signals
                and BASE_UPDATED_AT in st.baselines.get(rk, {})
                and signals[rk].updated_at > int(st.baselines[rk][BASE_UPDATED_AT])
            ]
            if moved:
                reason = (
                    f"Plex item {', '.join(map(str, moved))} changed in Plex since our last"
                    " write; its images are checked again"
                )
                gaps.append(GapResult(sid, GAP_PLEX_DRIFT, by_id[sid], reason))
        return gaps

    def _plex_drift(self, scenes: list[dict[str, Any]]) -> list[GapResult]:
        assert self._index is not None and self._store is not None
        ids = [int(str(s.get("id"))) for s in scenes if str(s.get("id", "")).isdigit()]
        states = {sid: st for sid, st in self._store.get_many(ids).items() if st.targets}
        signals = self._index.signals_for(rk for st in states.values() for _, rk in st.targets)
        plex_fields = {
            sid: {rk: signals[rk].field_fingerprints() for _, rk in st.targets if rk in signals}
            for sid, st in states.items()
        }
        pushed = {sid: _expected(st) for sid, st in states.items()}
        return self.detector.detect_plex_drift(scenes, pushed, plex_fields)

    def to_enqueue(self, gaps: list[GapResult]) -> list[GapResult]:
        """The gaps offered to the enqueue rules: Plex-side drift only without
        `preserve_plex_edits` (with it, a hand edit in Plex is reported and left alone)."""
        if not self.report_only:
            return gaps
        return [gap for gap in gaps if gap.gap_type != GAP_PLEX_DRIFT]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _id(scene: dict[str, Any]) -> int | None:
    raw = str(scene.get("id", ""))
    return int(raw) if raw.isdigit() else None


def _expected(state: SceneSyncState) -> dict[str, str]:
    """What Plex should list per pushed field: the post-write baseline of the first item
    when recorded (what Plex made of our push), else the fingerprint we pushed."""
    base = state.baselines.get(state.targets[0][1], {}) if state.targets else {}
    return {name: base.get(name, fp) for name, fp in state.fingerprints.items()}
