"""Turn pages of Stash scenes into what the detectors need from Plex, from the path index only.

For each scene: does its file resolve to Plex item(s) (`matched_paths`), and what metadata do
those items carry (`plex_metadata`, keyed by the Stash first-file path as Stash sent it). No
Plex request is made here: lookups go to the persisted `plex.index.PathIndex` (SQLite), and
matching is `plex.matching.match_scenes`, the live path's rules, with the same `path_map`.

Matching a run page by page keeps memory flat, but two rules need the whole run: the
basename fallback (a basename must be unique among *all* Stash scenes) and "one item claimed
by two scenes" (the two may sit on different pages). So a scene is settled on its page only
when it matched exactly and none of its items has several parts (only such an item can be
claimed by another scene's file); every other scene is deferred and matched once more at the
end of the run, with the basename counts of the whole run. Deferred scenes are the unmatched
and multi-part ones: a few percent of a library.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from base.status import SceneStatus
from plex.index import PathIndex
from plex.index_store import ItemSignals, basename_key, path_key
from plex.matching import (
    IndexEntry,
    MatchResult,
    SceneFiles,
    SectionLocations,
    match_scenes,
)
from plex.paths import PathStyle
from reconciliation.detector import first_file_path, scene_id_of
from validation.meaningful import has_meaningful_metadata

__all__ = ["PlexBatch", "RunMatcher"]

Target = tuple[int, int]
_CONTESTED = -1  # a claims entry for an item several scenes claim


@dataclass
class PlexBatch:
    """Scenes whose Plex side is known, with the detector inputs for exactly those scenes."""

    scenes: list[dict[str, Any]] = field(default_factory=list)
    plex_metadata: dict[str, dict[str, object]] = field(default_factory=dict)
    matched_paths: set[str] = field(default_factory=set)
    ambiguous: int = 0


class _NoFallback(Mapping[str, int]):
    """Basename counts that refuse every fallback (each name 'used by two scenes')."""

    def __getitem__(self, key: str) -> int:
        return 2

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _IndexLookups:
    """`PathIndex` as `match_scenes` reads it, with the path style fetched once per run
    (`PathIndex.style` reads it from SQLite on every access)."""

    def __init__(self, index: PathIndex) -> None:
        self._index = index
        self.style: PathStyle = index.style

    def key(self, path: str) -> str:
        return path_key(path, self.style)

    def name_key(self, path: str) -> str:
        return basename_key(path, self.style)

    def by_path(self, path: str) -> Sequence[IndexEntry]:
        return self._index.by_path(path)

    def by_basename(self, path: str) -> Sequence[IndexEntry]:
        return self._index.by_basename(path)

    def optimized_by_path(self, path: str) -> Sequence[IndexEntry]:
        return self._index.optimized_by_path(path)

    def __len__(self) -> int:
        return len(self._index)


def _only_year(scene: Mapping[str, Any]) -> int | None:
    """The year when the scene's only meaningful field is a date given as a bare `YYYY`."""
    date = scene.get("date")
    text = date.strip() if isinstance(date, str) else ""
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        return None
    return None if has_meaningful_metadata({**scene, "date": None}) else int(text)


def _item_metadata(item: ItemSignals, stash_year: int | None) -> dict[str, object]:
    """What the detector compares for one item. A year alone is not a date (scanners read it
    from file names), except for a scene whose only metadata is a bare-year date: that is
    pushed as `year` only (SPEC §2.5), so an equal Plex year is all the scene can give, and
    without this rule a synced scene would count as a gap on every run."""
    data = item.plex_metadata()
    if not data.get("date") and stash_year is not None and item.year == stash_year:
        data["date"] = str(stash_year)
    return data


def _emptiest(signals: Iterable[ItemSignals], stash_year: int | None) -> dict[str, object] | None:
    """The metadata of a scene's items for the detector: an item lacking meaningful metadata
    wins (one wiped item of two still needs a push), else the first item's."""
    first: dict[str, object] | None = None
    for item in signals:
        data = _item_metadata(item, stash_year)
        if not has_meaningful_metadata(data):
            return data
        if first is None:
            first = data
    return first


class RunMatcher:
    """Matching state of one run: basename counts, claimed items, deferred scenes.

    `use_basename=False` (scoped runs) never uses the fallback: uniqueness among all Stash
    scenes cannot be known from a subset, and a wrong basename match would be written.
    """

    def __init__(
        self,
        index: PathIndex,
        mapper: Callable[[str], str],
        *,
        use_basename: bool = True,
    ) -> None:
        self.index = index
        self.lookups = _IndexLookups(index)
        self.mapper = mapper
        self.sections: list[SectionLocations] = index.section_locations
        self.use_basename = use_basename
        self.basenames: Counter[str] = Counter()
        self.claims: dict[Target, int] = {}
        self.deferred: list[tuple[dict[str, Any], SceneFiles]] = []
        parts = Counter(entry.rating_key for entry in index.entries())
        self.multi_part = {rk for rk, count in parts.items() if count > 1}

    # -- per page ------------------------------------------------------------------------------

    def process(self, scenes: Sequence[dict[str, Any]], synced: Mapping[Any, Any]) -> PlexBatch:
        """Settle what can be settled on this page; defer the rest (see module docstring)."""
        files: dict[int, SceneFiles] = {}
        for scene in scenes:
            scene_files = SceneFiles.from_stash(scene)
            if scene_files is not None:
                files[scene_files.scene_id] = scene_files
                if self.use_basename:
                    for name in {self.lookups.name_key(path) for path, _ in scene_files.files}:
                        self.basenames[name] += 1
        # No fallback on a page: its basename counts are not the run's yet (see finish()).
        results = match_scenes(
            files.values(),
            self.lookups,  # type: ignore[arg-type]
            self.mapper,
            self.sections,
            stash_basenames=_NoFallback(),
        )
        batch = PlexBatch()
        settled: list[tuple[dict[str, Any], MatchResult]] = []
        for scene in scenes:
            scene_id = scene_id_of(scene)
            result = results.get(scene_id) if scene_id is not None else None
            if result is None:
                batch.scenes.append(scene)  # unusable id: the detectors skip it
                continue
            if self._needs_whole_run(result):
                self.deferred.append((scene, files[result.scene_id]))
                continue
            settled.append((scene, result))
        self._settle(settled, synced, batch)
        return batch

    def _needs_whole_run(self, result: MatchResult) -> bool:
        if result.status is SceneStatus.MATCHED:
            return any(rk in self.multi_part for _, rk in result.targets)
        if result.status in (SceneStatus.NOT_SCANNED, SceneStatus.OUTSIDE_LIBRARIES):
            return self.use_basename
        return False  # ambiguous within one page stays ambiguous; no files is final

    # -- end of run ----------------------------------------------------------------------------

    def finish(self, synced: Mapping[Any, Any]) -> PlexBatch:
        """Match the deferred scenes with the whole run's basename counts; forget them."""
        deferred, self.deferred = self.deferred, []
        batch = PlexBatch()
        if not deferred:
            return batch
        counts: Mapping[str, int] = self.basenames if self.use_basename else _NoFallback()
        results = match_scenes(
            [scene_files for _, scene_files in deferred],
            self.lookups,  # type: ignore[arg-type]
            self.mapper,
            self.sections,
            stash_basenames=counts,
        )
        self._settle(
            [(scene, results[scene_files.scene_id]) for scene, scene_files in deferred],
            synced,
            batch,
        )
        return batch

    # -- shared --------------------------------------------------------------------------------

    def _claim(self, scene_id: int, targets: Iterable[Target]) -> bool:
        """Register the scene's items; False when another scene already claimed one."""
        clash = False
        for target in targets:
            owner = self.claims.setdefault(target, scene_id)
            if owner != scene_id:
                self.claims[target] = _CONTESTED
                clash = True
        return not clash

    def _settle(
        self,
        settled: Sequence[tuple[dict[str, Any], MatchResult]],
        synced: Mapping[Any, Any],
        batch: PlexBatch,
    ) -> None:
        matched: list[tuple[dict[str, Any], str, MatchResult]] = []
        for scene, result in settled:
            batch.scenes.append(scene)
            path = first_file_path(scene)
            if result.status is SceneStatus.AMBIGUOUS:
                items = [(c.section_id, c.rating_key) for c in result.candidates]
                self._claim(result.scene_id, items)
                batch.ambiguous += 1
                if path is not None:
                    batch.matched_paths.add(path)  # its file is in Plex: not "missing"
                continue
            if path is None:
                continue
            if result.status is SceneStatus.OPTIMIZED_COPY:
                # Plex's own copy of an item: never pushed, so never "missing" either.
                batch.matched_paths.add(path)
                continue
            if result.scene_id in synced or str(result.scene_id) in synced:
                # Lighter pre-check: a synced scene counts as matched without more questions.
                batch.matched_paths.add(path)
            if result.status is not SceneStatus.MATCHED:
                continue
            batch.matched_paths.add(path)
            if not self._claim(result.scene_id, result.targets):
                batch.ambiguous += 1  # two scenes on one item across pages: never written
                continue
            matched.append((scene, path, result))
        signals = self.index.signals_for(rk for _, _, r in matched for _, rk in r.targets)
        for scene, path, result in matched:
            items = (signals[rk] for _, rk in result.targets if rk in signals)
            entry = _emptiest(items, _only_year(scene))
            if entry is not None:
                batch.plex_metadata[path] = entry
