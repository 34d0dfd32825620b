"""Which Plex items each scene of a batch writes to (SPEC §2.4): stored keys first, else the index.

A scene synced before carries its targets in the sync state: they are trusted, and `verify`
checks them against the full item the writer fetches anyway (the item still plays one of the
scene's files). Other scenes, and scenes whose stored key is gone or no longer plays their
file, are matched against the persisted `PathIndex`, which is built when empty and refreshed
incrementally at most once per run, only after a lookup missed. Because a batch is only part of
the library, two claims the batch cannot see are asked of Stash: a basename match is kept only
when no other Stash scene has that basename, and an item whose other parts are files of another
Stash scene is ambiguous (never written).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from base.status import SceneStatus
from plex.index import PathIndex, RefreshReport
from plex.items import PlexItemSnapshot, SectionInfo
from plex.matching import Candidate, MatchResult, SceneFiles, match_scenes
from plex.paths import PathStyle, basename_of, detect_style, is_windows_path, normalize
from stash.protocol import ScenePages
from validation.path_map import PathMap

__all__ = ["Resolution", "StashPaths", "TargetResolver", "stash_lookup"]

Target = tuple[int, int]
_LOOKUP_PAGE = 50

_log = logging.getLogger(__name__)


StashPaths = ScenePages  # what this module needs from Stash (StashGateway)


def stash_lookup(stash: object) -> StashPaths | None:
    """`stash` when it can look scenes up by path, else None (claims checked per batch only)."""
    return stash if callable(getattr(stash, "find_scenes_page", None)) else None  # type: ignore[return-value]


class _Sections(Protocol):
    def sections(self, titles: Sequence[str] | str | None = None) -> list[SectionInfo]: ...


@dataclass(frozen=True)
class Resolution:
    """Where one scene is written, or why it is not. `how` is `stored` for trusted keys."""

    scene_id: int
    status: SceneStatus
    targets: tuple[Target, ...] = ()
    how: str = ""
    reason: str = ""
    scan_folders: tuple[tuple[int, str], ...] = ()
    candidates: tuple[Candidate, ...] = ()

    @classmethod
    def from_match(cls, result: MatchResult) -> Resolution:
        return cls(
            result.scene_id,
            result.status,
            result.targets,
            result.how or "",
            result.reason,
            result.scan_folders,
            result.candidates,
        )


class TargetResolver:
    """Matching for one worker run (the "refreshed once" flag lives as long as the run)."""

    def __init__(
        self,
        client: Any,
        index: PathIndex,
        *,
        path_map: PathMap | None = None,
        library: Sequence[str] = (),
        stash: StashPaths | None = None,
    ) -> None:
        self.client = client
        self.index = index
        self.path_map = path_map or PathMap()
        self.library = tuple(library)
        self.stash = stash
        self.refreshed = False
        self.reports: list[RefreshReport] = []

    # -- the index ----------------------------------------------------------------------------

    def refresh_once(self) -> bool:
        """Refresh the index (one sections request + incremental listings) unless already
        done this run; True when it ran now."""
        if self.refreshed:
            return False
        self.refreshed = True
        sections = self.client.sections(list(self.library))
        self.reports.append(self.index.refresh(self.client, sections))
        return True

    def _ensure_index(self) -> None:
        if not self.index.sections:
            self.refresh_once()

    # -- matching -----------------------------------------------------------------------------

    def match(self, scenes: Sequence[SceneFiles]) -> dict[int, Resolution]:
        """Match scenes against the index; a miss triggers the run's one refresh."""
        if not scenes:
            return {}
        self._ensure_index()
        results = self._match(scenes)
        missed = any(r.status not in (SceneStatus.MATCHED, SceneStatus.NO_FILES) for r in results)
        if missed and self.refresh_once():
            results = self._match(scenes)
        return {r.scene_id: r for r in results}

    def _match(self, scenes: Sequence[SceneFiles]) -> list[Resolution]:
        found = match_scenes(scenes, self.index, self.mapper, self.index.section_locations)
        by_id = {s.scene_id: s for s in scenes}
        resolutions = [Resolution.from_match(found[s.scene_id]) for s in scenes]
        return [self._check_claims(r, by_id[r.scene_id], scenes) for r in resolutions]

    def _check_claims(
        self, res: Resolution, files: SceneFiles, batch: Sequence[SceneFiles]
    ) -> Resolution:
        if res.status is not SceneStatus.MATCHED or self.stash is None:
            return res
        if res.how == "basename":
            name = next(c.stash_file for c in res.candidates if c.how == "basename")
            others = self._scenes_with_basename(name) - {files.scene_id}
            if others:
                refused = match_scenes(
                    [files],
                    self.index,
                    self.mapper,
                    self.index.section_locations,
                    stash_basenames={self.index.name_key(name): 1 + len(others)},
                )[files.scene_id]
                return Resolution.from_match(refused)
        owners = self._other_owners(res, files)
        if owners:
            parties = ", ".join(f"scene {sid} ({path!r})" for sid, path in sorted(owners))
            return replace(
                res,
                status=SceneStatus.AMBIGUOUS,
                targets=(),
                reason=f"Plex item(s) {_fmt(res.targets)} also play files of {parties}",
            )
        return res

    def _scenes_with_basename(self, stash_path: str) -> set[int]:
        windows = is_windows_path(stash_path)
        name = basename_of(stash_path, windows)
        fold = self.index.style.fold_case or windows
        wanted = normalize(name, False, fold_case=fold)
        scene_filter = {"path": {"value": f'"{name}"', "modifier": "INCLUDES"}}
        ids: set[int] = set()
        for scene in self._lookup(scene_filter):
            for entry in scene.get("files") or ():
                path = str(entry.get("path") or "")
                base = basename_of(path, is_windows_path(path))
                if normalize(base, False, fold_case=fold) == wanted:
                    ids.add(int(scene["id"]))
        return ids

    def _other_owners(self, res: Resolution, files: SceneFiles) -> set[tuple[int, str]]:
        """Other Stash scenes owning a part of one of the matched items."""
        style = self.index.style
        own = {self.index.key(self.mapper(path)) for path, _ in files.files}
        own |= {self.index.key(c.plex_file) for c in res.candidates}
        owners: set[tuple[int, str]] = set()
        for _, rating_key in res.targets:
            for part in self.index.parts_of(rating_key):
                if self.index.key(part.file) in own:
                    continue
                stash_path = self._to_stash(part.file)
                key = normalize(stash_path, is_windows_path(stash_path), fold_case=style.fold_case)
                scene_filter = {"path": {"value": stash_path, "modifier": "EQUALS"}}
                for scene in self._lookup(scene_filter):
                    sid = int(scene["id"])
                    if sid == files.scene_id:
                        continue
                    for entry in scene.get("files") or ():
                        path = str(entry.get("path") or "")
                        if normalize(path, is_windows_path(path), fold_case=style.fold_case) == key:
                            owners.add((sid, path))
        return owners

    def mapper(self, stash_path: str) -> str:
        """A Stash path as Plex sees it (`path_map`)."""
        return self.path_map.to_plex(stash_path)

    def _to_stash(self, plex_path: str) -> str:
        return self.path_map.to_stash(plex_path)

    def _lookup(self, scene_filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        assert self.stash is not None
        _, scenes = self.stash.find_scenes_page(1, _LOOKUP_PAGE, scene_filter)
        return scenes

    # -- verifying trusted keys ---------------------------------------------------------------

    def _style(self, snapshot: PlexItemSnapshot) -> PathStyle:
        if self.index.sections:
            return self.index.style
        return detect_style([p.file for p in snapshot.files])

    def verify(self, files: SceneFiles, snapshot: PlexItemSnapshot) -> bool:
        """The item still plays one of the scene's files: same path, or (for keys first found
        by the basename fallback) same basename and size."""
        style = self._style(snapshot)

        def key(path: str) -> str:
            return normalize(path, style.windows, fold_case=style.fold_case)

        def name(path: str) -> str:
            windows = style.windows or is_windows_path(path)
            return normalize(basename_of(path, windows), False, fold_case=style.fold_case)

        mapped = [(self.mapper(path), size) for path, size in files.files]
        keys = {key(path) for path, _ in mapped}
        if any(key(part.file) in keys for part in snapshot.files):
            return True
        names = {(name(path), size) for path, size in mapped if size is not None}
        return any((name(p.file), p.size) in names for p in snapshot.files if p.size is not None)

    def drop(self, rating_keys: Iterable[int]) -> None:
        """Forget items Plex no longer has (a 404 on their key)."""
        for rating_key in rating_keys:
            self.index.drop(rating_key)


def _fmt(targets: Iterable[Target]) -> str:
    return ", ".join(f"{section}/{rating_key}" for section, rating_key in targets)
