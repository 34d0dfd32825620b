"""Find the gaps between Stash scenes, Plex metadata and our sync records: pure, no I/O.

Public contract (SPEC §3): `GapResult`, `has_meaningful_metadata`, `GapDetector` with
`detect_empty_metadata`, `detect_stale_syncs` and `detect_missing`; additions of the drift
issue: `detect_drift` (Stash changed without a scene edit) and `detect_plex_drift` (Plex
changed behind our back). Scenes are stashapi scene
dicts (`id` as a string, `updated_at` RFC3339, `files` primary first). A scene whose id or
first-file path is unusable is skipped by every detector, and one whose `updated_at` is
unparsable by the stale detector; bad input never raises. Each detector is one pass over
`scenes` (any iterable, e.g. a pager) holding only the gaps it reports; `scene_data` is the
scene dict itself, not a copy. Reporting a scene once per run is the engine's job, not ours.
`has_meaningful_metadata` lives in `validation.meaningful` (shared with the desired-state
builder) and is re-exported here; timestamps are parsed by `base.timestamps`.

Drift compares fingerprints only (`validation.drift`, the builder live sync uses): no Plex
request, and the Plex side of `detect_plex_drift` comes from the path index's listing.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from base.timestamps import parse_rfc3339
from validation.desired import DesiredOptions
from validation.drift import COVER_PENDING, is_cover_pending, scene_fingerprint
from validation.meaningful import MEANINGFUL_FIELDS, has_meaningful_metadata

__all__ = [
    "GAP_DRIFT",
    "GAP_EMPTY_METADATA",
    "GAP_MISSING",
    "GAP_PLEX_DRIFT",
    "GAP_STALE_SYNC",
    "GAP_TYPES",
    "GapDetector",
    "GapResult",
    "first_file_path",
    "has_meaningful_metadata",
    "scene_id_of",
]

GAP_EMPTY_METADATA = "empty_metadata"
GAP_STALE_SYNC = "stale_sync"
GAP_MISSING = "missing"
GAP_DRIFT = "drift"  # what Plex should show changed in Stash without a scene edit
GAP_PLEX_DRIFT = "plex_drift"  # a Plex field we pushed was changed in Plex
GAP_TYPES: tuple[str, ...] = (
    GAP_EMPTY_METADATA,
    GAP_STALE_SYNC,
    GAP_MISSING,
    GAP_DRIFT,
    GAP_PLEX_DRIFT,
)

_ABSENT = object()


@dataclass
class GapResult:
    """One scene with one kind of gap; a scene with two kinds yields two results."""

    scene_id: int
    gap_type: str
    scene_data: dict
    reason: str


def scene_id_of(scene: Mapping[str, Any]) -> int | None:
    """The scene's id as int (Stash sends a string of ASCII digits), None when unusable."""
    raw = scene.get("id")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    # isascii: str.isdigit alone accepts "²"; int() alone accepts "4_2", " 4", "+4".
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


def first_file_path(scene: Mapping[str, Any]) -> str | None:
    """The primary (first) file's path exactly as Stash returned it, None when absent/empty."""
    files = scene.get("files")
    if not isinstance(files, (list, tuple)) or not files:
        return None
    first = files[0]
    if not isinstance(first, Mapping):
        return None
    path = first.get("path")
    return path if isinstance(path, str) and path else None


def _eligible(scenes: Iterable[Any] | None) -> Iterator[tuple[int, str, Any]]:
    """Yield (scene id, first-file path, scene) for every scene the detectors can reason on."""
    for scene in scenes or ():
        if not isinstance(scene, Mapping):
            continue
        scene_id = scene_id_of(scene)
        if scene_id is None:
            continue
        path = first_file_path(scene)
        if path is None:
            continue
        yield scene_id, path, scene


def _sync_entry(sync_timestamps: Mapping[Any, Any], scene_id: int) -> Any:
    """The sync record for a scene, or _ABSENT; string keys (a JSON round trip) also match."""
    entry = sync_timestamps.get(scene_id, _ABSENT)
    if entry is _ABSENT:
        entry = sync_timestamps.get(str(scene_id), _ABSENT)
    return entry


def _describe_stash_metadata(scene: Mapping[str, Any]) -> str:
    """Which meaningful fields the scene has, with list sizes: 'studio, tags (3)'."""
    present = []
    for key in MEANINGFUL_FIELDS:
        value = scene.get(key)
        if not has_meaningful_metadata({key: value}):
            continue
        if isinstance(value, (list, tuple)):
            count = sum(1 for item in value if has_meaningful_metadata({key: [item]}))
            present.append(f"{key} ({count})")
        else:
            present.append(key)
    return ", ".join(present)


def _epoch_of_sync(value: Any) -> float | None:
    """A sync record is epoch seconds (int or float); anything else is unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _format_epoch(epoch: float) -> str:
    """RFC3339 UTC for reasons (`2026-11-19T09:00:00Z`; a fraction only when there is one)."""
    try:
        moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return repr(epoch)
    # Not strftime: "%Y" is not zero-padded for years < 1000 on every platform.
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


class GapDetector:
    """The three gap definitions of SPEC §3 as pure functions over already-fetched data."""

    def detect_empty_metadata(
        self,
        scenes: Iterable[dict],
        plex_metadata: Mapping[str, Mapping[str, Any] | None],
    ) -> list[GapResult]:
        """Scenes matched in Plex whose Plex item has no meaningful metadata while Stash has.

        `plex_metadata` is keyed by the Stash first-file path exactly as Stash returned it;
        a non-mapping entry (e.g. None) counts as an item with no metadata.
        """
        return list(self._iter_empty_metadata(scenes, plex_metadata or {}))

    def detect_stale_syncs(
        self,
        scenes: Iterable[dict],
        sync_timestamps: Mapping[int, float],
    ) -> list[GapResult]:
        """Synced scenes whose current `updated_at` is strictly newer than the synced one.

        `sync_timestamps` maps int scene id to epoch seconds of the Stash `updated_at` that
        was last synced. Unparsable timestamps on either side skip the scene.
        """
        return list(self._iter_stale_syncs(scenes, sync_timestamps or {}))

    def detect_missing(
        self,
        scenes: Iterable[dict],
        sync_timestamps: Mapping[int, float],
        matched_paths: Container[str],
    ) -> list[GapResult]:
        """Never-synced scenes whose first-file path (Stash form) has no Plex match."""
        return list(self._iter_missing(scenes, sync_timestamps or {}, matched_paths or ()))

    def _iter_empty_metadata(
        self, scenes: Iterable[dict], plex_metadata: Mapping[str, Any]
    ) -> Iterator[GapResult]:
        for scene_id, path, scene in _eligible(scenes):
            entry = plex_metadata.get(path, _ABSENT)
            if entry is _ABSENT:
                continue
            plex_has = isinstance(entry, Mapping) and has_meaningful_metadata(entry)
            if plex_has or not has_meaningful_metadata(scene):
                continue
            reason = (
                "Plex item has no studio, performers, tags, details or date while Stash has "
                + _describe_stash_metadata(scene)
            )
            yield GapResult(scene_id, GAP_EMPTY_METADATA, scene, reason)

    def _iter_stale_syncs(
        self, scenes: Iterable[dict], sync_timestamps: Mapping[Any, Any]
    ) -> Iterator[GapResult]:
        for scene_id, _path, scene in _eligible(scenes):
            entry = _sync_entry(sync_timestamps, scene_id)
            if entry is _ABSENT:
                continue
            synced = _epoch_of_sync(entry)
            if synced is None:
                continue
            raw_updated = scene.get("updated_at")
            updated = parse_rfc3339(raw_updated)
            if updated is None or updated <= synced:
                continue
            last = _format_epoch(synced)
            reason = f"updated in Stash {str(raw_updated).strip()} after last sync {last}"
            yield GapResult(scene_id, GAP_STALE_SYNC, scene, reason)

    def _iter_missing(
        self,
        scenes: Iterable[dict],
        sync_timestamps: Mapping[Any, Any],
        matched_paths: Container[str],
    ) -> Iterator[GapResult]:
        for scene_id, path, scene in _eligible(scenes):
            if _sync_entry(sync_timestamps, scene_id) is not _ABSENT:
                continue
            if path in matched_paths:
                continue
            reason = f"never synced and {path!r} has no matching Plex item"
            yield GapResult(scene_id, GAP_MISSING, scene, reason)

    # -- drift (additive: the three SPEC §3 detectors above are unchanged) ------------------

    def detect_drift(
        self,
        scenes: Iterable[dict],
        pushed_fingerprints: Mapping[int, str],
        options: DesiredOptions | None = None,
        covers_missing: Container[int] = frozenset(),
    ) -> list[GapResult]:
        """Synced scenes whose desired Plex state now differs from the one last pushed.

        `pushed_fingerprints` maps int scene id to the `validation.drift` fingerprint stored
        at the last push; scenes without one are not drift (they are stale or missing).
        `options` are the settings' `DesiredOptions` (the live sync's); `covers_missing`
        holds the ids Stash reports without a cover, so a cover that appeared after a push
        made while it was pending is drift, and one still missing is not.
        """
        opts = options or DesiredOptions()
        return list(self._iter_drift(scenes, pushed_fingerprints or {}, opts, covers_missing))

    def detect_plex_drift(
        self,
        scenes: Iterable[dict],
        pushed_fields: Mapping[int, Mapping[str, str]],
        plex_fields: Mapping[int, Mapping[int, Mapping[str, str]]],
    ) -> list[GapResult]:
        """Synced scenes whose Plex item shows another value than we pushed for a field.

        `pushed_fields`: int scene id → field fingerprints stored at the last push (only
        fields we own have one). `plex_fields`: int scene id → {ratingKey: {field:
        fingerprint of the item's current value}} for the fields the listing shows. A field
        is compared only where both sides have it.
        """
        return list(self._iter_plex_drift(scenes, pushed_fields or {}, plex_fields or {}))

    def _iter_drift(
        self,
        scenes: Iterable[dict],
        pushed: Mapping[Any, Any],
        options: DesiredOptions,
        covers_missing: Container[int],
    ) -> Iterator[GapResult]:
        for scene_id, _path, scene in _eligible(scenes):
            stored = _sync_entry(pushed, scene_id)
            if not isinstance(stored, str) or not stored:
                continue
            current = scene_fingerprint(scene, options, scene_id in covers_missing)
            if current is None or current == stored:
                continue
            if is_cover_pending(stored) and current == stored[: -len(COVER_PENDING)]:
                reason = "the cover Stash had not generated at the last push exists now"
            else:
                reason = (
                    "what Plex should show changed since the last push without a scene edit "
                    "(a performer, studio, tag or group renamed, merged or deleted, or a "
                    "changed setting)"
                )
            yield GapResult(scene_id, GAP_DRIFT, scene, reason)

    def _iter_plex_drift(
        self,
        scenes: Iterable[dict],
        pushed: Mapping[Any, Any],
        plex: Mapping[Any, Any],
    ) -> Iterator[GapResult]:
        for scene_id, _path, scene in _eligible(scenes):
            stored = _sync_entry(pushed, scene_id)
            items = _sync_entry(plex, scene_id)
            if not isinstance(stored, Mapping) or not isinstance(items, Mapping):
                continue
            changed: dict[str, list[str]] = {}
            for rating_key, fields in items.items():
                if not isinstance(fields, Mapping):
                    continue
                for name, value in fields.items():
                    was = stored.get(name)
                    if isinstance(was, str) and was != value:
                        changed.setdefault(str(rating_key), []).append(name)
            if changed:
                where = "; ".join(
                    f"item {key}: {', '.join(sorted(names))}" for key, names in changed.items()
                )
                reason = f"changed in Plex since the last push ({where})"
                yield GapResult(scene_id, GAP_PLEX_DRIFT, scene, reason)
