"""Sorting and paging of find results, and the context every finder works in.

Sort names are whitelisted as in Stash ("invalid sort: X"); NULLs sort first ascending as in
SQLite; a tie-breaker (natural case-insensitive title, then id) is always appended; per_page
defaults to 25, any negative value means every row, and pages below 1 become 1.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Any

from sandbox.model import StashLibrary, StashScene
from sandbox.stash_emu.criteria import FilterError
from sandbox.stash_emu.values import Extras, split_path


@dataclass
class FindContext:
    library: StashLibrary
    extras: Extras
    fmt: Callable[[datetime | None], str | None]
    # renders "now + 1 day" the way Stash binds the default upper bound of BETWEEN
    server_fmt: Callable[[datetime | None], str | None]
    now: Callable[[], datetime]

    def upper_default(self) -> str:
        return self.server_fmt(self.now() + timedelta(days=1)) or ""


def padded_date(date: str | None) -> str | None:
    """Stash stores partial dates as a full date plus a precision."""
    if not date:
        return None
    if len(date) == 4:
        return f"{date}-01-01"
    if len(date) == 7:
        return f"{date}-01"
    return date


@lru_cache(maxsize=200_000)
def natural_key(text: str) -> tuple[Any, ...]:
    """Stash's NATURAL_CI collation: case-insensitive, digit runs compared as numbers."""
    parts = re.split(r"(\d+)", text.lower())
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


# --- sorting and paging ------------------------------------------------------------------------

_SORT_NAMES = """
bitrate created_at code date file_count filesize duration file_mod_time framerate
group_scene_number id interactive interactive_speed last_o_at last_played_at movie_scene_number
o_counter organized performer_count play_count play_duration resume_time path
perceptual_similarity random rating resolution studio tag_count title updated_at performer_age
"""
SCENE_SORTS = frozenset(_SORT_NAMES.split())
ENTITY_SORTS = frozenset({"id", "name", "created_at", "updated_at"})


def _scene_sort_key(sort: str, fc: FindContext) -> Callable[[StashScene], Any]:
    ex, fmt, lib = fc.extras, fc.fmt, fc.library
    keys: dict[str, Callable[[StashScene], Any]] = {
        "id": lambda s: s.id,
        "title": lambda s: natural_key(
            s.title if s.title else (split_path(s.files[0].path)[1] if s.files else "")
        ),
        "date": lambda s: padded_date(s.date),
        "rating": lambda s: s.rating100,
        "created_at": lambda s: fmt(s.created_at),
        "updated_at": lambda s: fmt(s.updated_at),
        "file_mod_time": lambda s: fmt(s.created_at) if s.files else None,
        # ORDER BY folders.path, files.basename: "\x00" sorts below every path character
        "path": lambda s: "\x00".join(split_path(s.files[0].path)) if s.files else None,
        "filesize": lambda s: s.files[0].size if s.files else None,
        "duration": lambda s: s.files[0].duration if s.files else None,
        "bitrate": lambda s: (
            int(s.files[0].size * 8 / s.files[0].duration)
            if s.files and s.files[0].duration > 0
            else None
        ),
        "file_count": lambda s: len(s.files),
        "organized": lambda s: bool(s.organized),
        "o_counter": lambda s: ex.get("scene", s.id, "o_counter", 0),
        "play_count": lambda s: ex.get("scene", s.id, "play_count", 0),
        "play_duration": lambda s: ex.get("scene", s.id, "play_duration", 0.0),
        "resume_time": lambda s: ex.get("scene", s.id, "resume_time", 0.0),
        "code": lambda s: ex.get("scene", s.id, "code"),
        "studio": lambda s: (
            natural_key(lib.studios[s.studio_id].name) if s.studio_id in lib.studios else None
        ),
        "tag_count": lambda s: len(s.tag_ids),
        "performer_count": lambda s: len(s.performer_ids),
        "group_scene_number": lambda s: s.groups[0][1] if s.groups else None,
        "movie_scene_number": lambda s: s.groups[0][1] if s.groups else None,
    }
    # Sorts on data the emulator does not model keep the tie-breaker order only.
    return keys.get(sort, lambda s: 0)


def sort_items(
    items: list[Any],
    direction: str | None,
    primary: Callable[[Any], Any] | None,
    tie: Callable[[Any], Any],
) -> list[Any]:
    """Order by `primary` (SQLite: NULLs first ascending), ties by `tie` ascending."""
    if primary is None:
        return sorted(items, key=tie)
    keys = [primary(o) for o in items]
    descending = direction == "DESC"
    if None in keys:  # NULLs first ascending, last descending; no tuple keys (slow compares)
        nulls = [i for i, k in enumerate(keys) if k is None]
        values = sorted(
            (i for i, k in enumerate(keys) if k is not None),
            key=keys.__getitem__,
            reverse=descending,
        )
        order = values + nulls if descending else nulls + values
    else:
        order = sorted(range(len(items)), key=keys.__getitem__, reverse=descending)
    out = [items[i] for i in order]
    if len(set(keys)) == len(keys):
        return out
    # Equal primary keys: order each run by the tie-breaker (Stash appends it to ORDER BY).
    ordered_keys = [keys[i] for i in order]
    start = 0
    for end in range(1, len(out) + 1):
        if end == len(out) or ordered_keys[end] != ordered_keys[start]:
            if end - start > 1:
                out[start:end] = sorted(out[start:end], key=tie)
            start = end
    return out


def random_key(sort: str) -> Callable[[Any], Any]:
    seed = sort.partition("_")[2] if sort.startswith("random_") else str(random.random())
    return lambda o: hash((seed, o.id))


def scene_tie(s: StashScene) -> tuple[Any, int]:
    return (natural_key(s.title if s.title else str(s.id)), s.id)


def sort_scenes(
    items: list[StashScene], find_filter: dict[str, Any], fc: FindContext
) -> list[StashScene]:
    sort = find_filter.get("sort")
    if not sort:
        return items  # no ORDER BY: Stash returns rows in storage order
    if sort.startswith("random_") or sort == "random":
        return sort_items(items, find_filter.get("direction"), random_key(sort), scene_tie)
    if sort not in SCENE_SORTS:
        raise FilterError(f"invalid sort: {sort}")
    if sort == "id":  # unique: no tie-breaker needed, and the most common paging order
        return sorted(items, key=attrgetter("id"), reverse=find_filter.get("direction") == "DESC")
    return sort_items(items, find_filter.get("direction"), _scene_sort_key(sort, fc), scene_tie)


def page(items: list[Any], find_filter: dict[str, Any]) -> list[Any]:
    per_page = find_filter.get("per_page")
    per_page = 25 if per_page is None else per_page
    if per_page < 0:
        return items
    number = find_filter.get("page") or 1
    number = max(number, 1)
    start = (number - 1) * per_page
    return items[start : start + per_page]
