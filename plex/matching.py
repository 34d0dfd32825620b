"""Matching Stash scenes to Plex items through the path index (SPEC §2.4). Pure.

Every file of a scene is looked up against every Plex Media/Part of an item's original Media
(Plex's optimized versions are not matched; a scene whose file is one is reported as
`OPTIMIZED_COPY`, never scanned, docs/plex-side.md): exact path (after `path_map`
and normalisation) first; a basename fallback only when the basename is unique among Stash
scenes and among Plex parts and the sizes agree. One item claimed by two scenes, or several
items of one section for one scene, is ambiguous and never written. The same file in two
sections yields two targets. Runs in O(total files) with dict lookups: two passes over the
batch (gather candidates and claims, then resolve), so call it once over all scenes that
compete for the same items (a whole reconciliation run), or pass `stash_basenames` counted
over all scenes when matching a subset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from base.status import SceneStatus
from plex.paths import PathStyle, basename_of, is_windows_path, normalize, parent_folder

__all__ = [
    "MATCH_STATUSES",
    "PLEX_VERSIONS_FOLDER",
    "Candidate",
    "IndexEntry",
    "MatchResult",
    "PathIndexView",
    "SceneFiles",
    "SectionLocations",
    "match_scenes",
    "stash_basename_counts",
]

Target = tuple[int, int]  # (section_id, rating_key)


# What matching ends in: MATCHED (write the targets), or the scene's fate.
MATCH_STATUSES = (
    SceneStatus.MATCHED,
    SceneStatus.NOT_SCANNED,  # inside a section location but not indexed: not scanned yet
    SceneStatus.OUTSIDE_LIBRARIES,
    SceneStatus.AMBIGUOUS,
    SceneStatus.NO_FILES,
    SceneStatus.OPTIMIZED_COPY,  # the file is one of Plex's own optimized versions
)

# The folder Plex writes its optimized versions to, inside the library (the fixture's
# `...\Plex Versions\Optimized for Mobile\...`). A file under it that the index does not
# know yet is still Plex's own copy: never a reason to scan.
PLEX_VERSIONS_FOLDER = "plex versions"


@dataclass(frozen=True)
class SceneFiles:
    """A scene's files in Stash's form, primary first: (path, size or None)."""

    scene_id: int
    files: tuple[tuple[str, int | None], ...]

    @classmethod
    def from_stash(cls, scene: Mapping[str, object]) -> SceneFiles | None:
        """From a GraphQL scene dict (`id`, `files{path size}`); None when the id is unusable."""
        try:
            scene_id = int(str(scene.get("id")).strip())
        except (TypeError, ValueError):
            return None
        files: list[tuple[str, int | None]] = []
        for entry in scene.get("files") or ():  # type: ignore[union-attr]
            if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), str):
                continue
            try:
                size: int | None = int(entry["size"]) if entry.get("size") is not None else None
            except (TypeError, ValueError):
                size = None
            files.append((entry["path"], size))
        return cls(scene_id, tuple(files))


@dataclass(frozen=True)
class IndexEntry:
    """One Plex Media/Part: the item it belongs to and its file in Plex's form. `copy_of` is
    set (to the item's title) only for a part of Plex's own optimized versions."""

    section_id: int
    rating_key: int
    file: str
    size: int | None = None
    copy_of: str | None = None


@dataclass(frozen=True)
class SectionLocations:
    """A configured section and its `Location` paths (Plex's form)."""

    section_id: int
    locations: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    """One (scene file -> Plex part) hit, kept to report ambiguities with every party."""

    scene_id: int
    section_id: int
    rating_key: int
    plex_file: str
    stash_file: str
    how: str  # 'exact' | 'mapped' | 'basename'


@dataclass(frozen=True)
class MatchResult:
    """Outcome for one scene (`status` one of `MATCH_STATUSES`). `targets` are written only
    when `status` is MATCHED."""

    scene_id: int
    status: SceneStatus
    targets: tuple[Target, ...] = ()
    how: str | None = None
    reason: str = ""
    candidates: tuple[Candidate, ...] = ()
    scan_folders: tuple[tuple[int, str], ...] = ()  # (section_id, folder in Plex's form)
    matched_file: str | None = None  # Stash path of the first matching file


class PathIndexView:
    """Read-only lookups over index entries by normalised path and by normalised basename."""

    def __init__(
        self,
        entries: Iterable[IndexEntry],
        style: PathStyle,
        optimized: Iterable[IndexEntry] = (),
    ):
        self.style = style
        self._by_path: dict[str, list[IndexEntry]] = {}
        self._by_name: dict[str, list[IndexEntry]] = {}
        self._optimized: dict[str, list[IndexEntry]] = {}
        count = 0
        for entry in entries:
            count += 1
            self._by_path.setdefault(self.key(entry.file), []).append(entry)
            self._by_name.setdefault(self.name_key(entry.file), []).append(entry)
        for entry in optimized:
            self._optimized.setdefault(self.key(entry.file), []).append(entry)
        self._count = count

    def key(self, path: str) -> str:
        """Comparison key of a Plex-form path under this index's style."""
        return normalize(path, self.style.windows, fold_case=self.style.fold_case)

    def name_key(self, path: str) -> str:
        """Comparison key of a path's basename (either separator when it looks Windows)."""
        windows = self.style.windows or is_windows_path(path)
        return normalize(basename_of(path, windows), False, fold_case=self.style.fold_case)

    def by_path(self, path: str) -> Sequence[IndexEntry]:
        return self._by_path.get(self.key(path), ())

    def by_basename(self, path: str) -> Sequence[IndexEntry]:
        return self._by_name.get(self.name_key(path), ())

    def optimized_by_path(self, path: str) -> Sequence[IndexEntry]:
        """Parts of Plex's optimized versions at this path (`copy_of` set)."""
        return self._optimized.get(self.key(path), ())

    def __len__(self) -> int:
        return self._count


def stash_basename_counts(scenes: Iterable[SceneFiles], index: PathIndexView) -> dict[str, int]:
    """Number of distinct scenes per basename key (for the fallback's uniqueness test)."""
    counts: dict[str, int] = {}
    for scene in scenes:
        for name in {index.name_key(path) for path, _ in scene.files}:
            counts[name] = counts.get(name, 0) + 1
    return counts


@dataclass
class _Pending:
    scene: SceneFiles
    candidates: list[Candidate] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)
    copy_of: IndexEntry | None = None  # an optimized part one of its files is


def _gather(
    scene: SceneFiles,
    index: PathIndexView,
    mapper: Callable[[str], str],
    stash_names: Callable[[], Mapping[str, int]],
) -> _Pending:
    pending = _Pending(scene, mapped=[mapper(path) for path, _ in scene.files])
    for (stash_path, _), plex_path in zip(scene.files, pending.mapped, strict=True):
        how = "exact" if plex_path == stash_path else "mapped"
        for entry in index.by_path(plex_path):
            pending.candidates.append(
                Candidate(
                    scene.scene_id, entry.section_id, entry.rating_key, entry.file, stash_path, how
                )
            )
    if pending.candidates:
        return pending
    for plex_path in pending.mapped:
        copies = index.optimized_by_path(plex_path)
        if copies:
            pending.copy_of = copies[0]
            return pending  # Plex's own copy: no fallback may match it to some other item
    for stash_path, size in scene.files:
        shared = stash_names().get(index.name_key(stash_path), 0)
        if shared > 1:
            pending.refusals.append(
                f"basename {basename_of(stash_path, True)!r} is used by {shared} Stash scenes"
            )
            continue
        entries = index.by_basename(stash_path)
        if len(entries) > 1:
            pending.refusals.append(
                f"basename {entries[0].file!r} is shared by {len(entries)} Plex parts"
            )
            continue
        if not entries:
            continue
        entry = entries[0]
        if size is None or entry.size is None or size != entry.size:
            pending.refusals.append(
                f"same basename as {entry.file!r} but sizes differ ({size} vs {entry.size})"
            )
            continue
        pending.candidates.append(
            Candidate(
                scene.scene_id,
                entry.section_id,
                entry.rating_key,
                entry.file,
                stash_path,
                "basename",
            )
        )
    return pending


def _targets(candidates: Iterable[Candidate]) -> list[Target]:
    return list(dict.fromkeys((c.section_id, c.rating_key) for c in candidates))


def _unmatched(
    pending: _Pending, locations: Sequence[tuple[int, str]], style: PathStyle
) -> MatchResult:
    scene = pending.scene
    folders: dict[tuple[int, str], None] = {}
    for plex_path in pending.mapped:
        key = normalize(plex_path, style.windows, fold_case=style.fold_case)
        for section_id, loc in locations:
            if key == loc or key.startswith(loc if loc.endswith("/") else loc + "/"):
                folders[(section_id, parent_folder(plex_path, style.windows))] = None
    refused = (
        f"; basename fallback refused: {'; '.join(pending.refusals)}" if pending.refusals else ""
    )
    if pending.copy_of is not None:
        title = pending.copy_of.copy_of or f"Plex item {pending.copy_of.rating_key}"
        return MatchResult(
            scene.scene_id,
            SceneStatus.OPTIMIZED_COPY,
            reason=f"Plex's optimized copy of {title!r}, not a library item",
        )
    if folders and any(_in_plex_versions(path, style) for path in pending.mapped):
        return MatchResult(
            scene.scene_id,
            SceneStatus.OPTIMIZED_COPY,
            reason="Plex's optimized copy (in a 'Plex Versions' folder), not a library item",
        )
    if folders:
        return MatchResult(
            scene.scene_id,
            SceneStatus.NOT_SCANNED,
            reason=f"file not in Plex yet (not scanned?){refused}",
            scan_folders=tuple(folders),
        )
    return MatchResult(
        scene.scene_id,
        SceneStatus.OUTSIDE_LIBRARIES,
        reason=f"outside your Plex libraries: {pending.mapped[0]!r}{refused}",
    )


def _in_plex_versions(path: str, style: PathStyle) -> bool:
    folders = normalize(path, style.windows, fold_case=True).split("/")[:-1]
    return PLEX_VERSIONS_FOLDER in folders


def match_scenes(
    scenes: Iterable[SceneFiles],
    index: PathIndexView,
    mapper: Callable[[str], str] | None = None,
    sections: Iterable[SectionLocations] = (),
    *,
    stash_basenames: Mapping[str, int] | None = None,
) -> dict[int, MatchResult]:
    """Match every scene of the batch; see the module docstring for the rules.

    `mapper` applies `path_map` (identity when None). `sections` bounds "not scanned yet"
    versus "outside your Plex libraries". `stash_basenames` defaults to counts over `scenes`.
    """
    style = index.style
    scene_list = list(scenes)
    names_cache: list[Mapping[str, int]] = [] if stash_basenames is None else [stash_basenames]

    def names() -> Mapping[str, int]:
        # Counted only when some scene needs the fallback: exact matches never pay for it.
        if not names_cache:
            names_cache.append(stash_basename_counts(scene_list, index))
        return names_cache[0]

    apply_map = mapper or (lambda path: path)
    locations = [
        (s.section_id, normalize(loc, style.windows, fold_case=style.fold_case))
        for s in sections
        for loc in s.locations
    ]

    results: dict[int, MatchResult] = {}
    matched: list[_Pending] = []
    claims: dict[Target, list[Candidate]] = {}
    for scene in scene_list:
        if not scene.files:
            results[scene.scene_id] = MatchResult(
                scene.scene_id, SceneStatus.NO_FILES, reason="scene has no files"
            )
            continue
        pending = _gather(scene, index, apply_map, names)
        if not pending.candidates:
            results[scene.scene_id] = _unmatched(pending, locations, style)
            continue
        matched.append(pending)
        for cand in pending.candidates:
            claims.setdefault((cand.section_id, cand.rating_key), []).append(cand)

    for pending in matched:
        scene_id = pending.scene.scene_id
        targets = _targets(pending.candidates)
        first = pending.candidates[0]
        contested = [t for t in targets if len({c.scene_id for c in claims[t]}) > 1]
        if contested:
            others = [c for t in contested for c in claims[t]]
            scenes_named = sorted({c.scene_id for c in others})
            results[scene_id] = MatchResult(
                scene_id,
                SceneStatus.AMBIGUOUS,
                reason=f"Plex item(s) {_fmt(contested)} claimed by scenes {scenes_named}",
                candidates=tuple(dict.fromkeys([*pending.candidates, *others])),
            )
            continue
        sections_seen = [section for section, _ in targets]
        if len(sections_seen) != len(set(sections_seen)):
            results[scene_id] = MatchResult(
                scene_id,
                SceneStatus.AMBIGUOUS,
                reason=f"several Plex items of one section match: {_fmt(targets)}",
                candidates=tuple(pending.candidates),
            )
            continue
        results[scene_id] = MatchResult(
            scene_id,
            SceneStatus.MATCHED,
            targets=tuple(targets),
            how=first.how,
            reason=f"{first.how} match",
            candidates=tuple(pending.candidates),
            matched_file=first.stash_file,
        )
    return results


def _fmt(targets: Iterable[Target]) -> str:
    return ", ".join(f"{section}/{rating_key}" for section, rating_key in targets)
