"""Fetch the scenes a reconciliation run checks, page by page, from any stashapi-like object.

Only the fields the detectors and the matching read are requested (`SCENE_FRAGMENT`: what
`build_desired` reads for the drift fingerprint, minus images; `movies` instead of `groups`
before Stash v0.27, `scene_fragment_for`), pages of `PAGE_SIZE` in a stable order (`id`
ascending), so memory holds one page at a time. The
`stash` object only needs stashapi's `find_scenes(f=, filter=, q=, fragment=, get_count=)`
(`stash.client.StashGateway` or a raw `stashapi.StashInterface`). Scoped runs (`recent`,
`recent_7days`) ask Stash for a window one day wider than wanted, because Stash compares
timestamps as text in its own UTC offset (reference/stash.md §7.3;
`base.stash_time.text_lower_bound` without an offset: rows stored before a daylight-saving
change keep their old offset, so the offset the catch-up learns is not trusted for windows of
days), then keep exactly the scenes whose parsed `updated_at` is inside the window.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from base.stash_time import text_lower_bound
from base.timestamps import parse_rfc3339
from stash.fields import parse_version
from stash.forms import GROUPS, uses

__all__ = [
    "PAGE_SIZE",
    "SCENE_FRAGMENT",
    "SCENE_FRAGMENT_LEGACY",
    "SCOPES",
    "SceneFetchError",
    "ScenePager",
    "normalize_scope",
    "scene_fragment_for",
    "scope_cutoff",
    "stash_version",
]

PAGE_SIZE = 1000
# What the detectors (id, updated_at, first file path, meaningful fields, and for drift every
# field `build_desired` digests) and the matching (every file's path and size) read; nothing
# else is decoded.
_FRAGMENT_COMMON = (
    "id updated_at title details date rating100 organized files { path size } "
    "studio { name parent_studio { name } } performers { name } tags { name }"
)
SCENE_FRAGMENT = _FRAGMENT_COMMON + " groups { group { name } }"
SCENE_FRAGMENT_LEGACY = _FRAGMENT_COMMON + " movies { movie { name } }"
SCOPES: dict[str, float | None] = {"all": None, "recent": 86400.0, "recent_7days": 7 * 86400.0}
# Setting values (reconcile_scope) accepted as aliases of the engine's scope names.
_ALIASES = {"24h": "recent", "7days": "recent_7days", "7d": "recent_7days"}


class SceneFetchError(Exception):
    """The `stash` object failed to deliver a page; `str()` is one line, `__cause__` the
    original error (a classified `StashError` from StashGateway, anything from raw stashapi)."""


def stash_version(stash: Any) -> tuple[int, int, int]:
    """The Stash version a stashapi-like object talks to: `StashGateway.version_info`, or a
    raw `StashInterface.version`; (0, 0, 0) when unknown."""
    info = getattr(stash, "version_info", None)
    if isinstance(info, tuple) and len(info) == 3:
        return info  # type: ignore[return-value]
    return parse_version(str(getattr(stash, "version", "") or ""))


def scene_fragment_for(version: tuple[int, int, int]) -> str:
    """`groups` since v0.27; `movies` (deprecated, still answered) for older or unknown."""
    return SCENE_FRAGMENT if uses(version, GROUPS) else SCENE_FRAGMENT_LEGACY


def normalize_scope(scope: str | None) -> str:
    """`all`, `recent` or `recent_7days` (also the settings' `24h`/`7days`); else ValueError."""
    name = (scope or "all").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in SCOPES:
        raise ValueError(f"unknown reconciliation scope {scope!r} (all, recent, recent_7days)")
    return name


def scope_cutoff(scope: str, now: float) -> float | None:
    """Epoch seconds a scene's `updated_at` must reach to be in scope; None for `all`."""
    window = SCOPES[normalize_scope(scope)]
    return None if window is None else now - window


class ScenePager:
    """Iterates the scenes of one scope; counts requests, fetched and kept scenes.

    Each scene id is yielded once (offset paging can repeat one when another is deleted
    mid-walk). Errors of the `stash` object propagate; what was yielded before stays valid.
    """

    def __init__(
        self,
        stash: Any,
        scope: str,
        now: float,
        *,
        page_size: int = PAGE_SIZE,
        fragment: str = SCENE_FRAGMENT,
        criteria: Mapping[str, Any] | None = None,
    ) -> None:
        self.stash = stash
        self.scope = normalize_scope(scope)
        self.cutoff = scope_cutoff(self.scope, now)
        self.page_size = max(int(page_size), 1)
        self.fragment = fragment
        self.criteria = dict(criteria or {})  # extra SceneFilterType members
        self.requests = 0
        self.fetched = 0  # scenes Stash returned (the scoped window is a little wider)
        self.kept = 0
        self.total: int | None = None  # Stash's count for the query, after the first page

    def scene_filter(self) -> dict[str, Any]:
        """The `SceneFilterType` sent to Stash (fresh dict: stashapi writes into it)."""
        extra = copy.deepcopy(self.criteria)
        if self.cutoff is None:
            return extra
        bound = text_lower_bound(self.cutoff, None)
        return {**extra, "updated_at": {"value": bound, "modifier": "GREATER_THAN"}}

    def _page(self, page: int) -> tuple[int | None, list[Any]]:
        self.requests += 1
        try:
            result = self.stash.find_scenes(
                f=self.scene_filter(),
                filter={
                    "page": page,
                    "per_page": self.page_size,
                    "sort": "id",
                    "direction": "ASC",
                },
                q="",
                fragment=self.fragment,
                get_count=True,
            )
        except Exception as exc:  # any stashapi-like client: its errors are not ours to know
            lines = str(exc).strip().splitlines()
            text = (lines[0] if lines else "") or type(exc).__name__
            raise SceneFetchError(f"page {page} of scenes failed: {text[:300]}") from exc
        if isinstance(result, tuple) and len(result) == 2:
            count, scenes = result
        else:  # an object ignoring get_count: a plain list
            count, scenes = None, result
        try:
            total = int(count) if count is not None else None
        except (TypeError, ValueError):
            total = None
        return total, list(scenes or [])

    def in_scope(self, scene: Mapping[str, Any]) -> bool:
        if self.cutoff is None:
            return True
        updated = parse_rfc3339(scene.get("updated_at"))
        return updated is not None and updated >= self.cutoff

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        """Lists of in-scope scenes, one per Stash page (possibly empty after filtering)."""
        seen: set[str] = set()
        page = 1
        while True:
            total, scenes = self._page(page)
            if self.total is None:
                self.total = total
            self.fetched += len(scenes)
            kept: list[dict[str, Any]] = []
            for scene in scenes:
                if not isinstance(scene, Mapping):
                    continue
                key = str(scene.get("id"))
                if key in seen or not self.in_scope(scene):
                    continue
                seen.add(key)
                kept.append(scene)  # type: ignore[arg-type]
            self.kept += len(kept)
            yield kept
            if len(scenes) < self.page_size:
                return
            if total is not None and page * self.page_size >= total:
                return
            page += 1

    def progress(self) -> float:
        """Fraction of Stash's count fetched so far (0 before the first page)."""
        if not self.total:
            return 0.0 if self.total is None else 1.0
        return min(self.fetched / self.total, 1.0)
