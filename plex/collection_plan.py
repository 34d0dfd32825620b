"""Pure rules for the collections we own (issue 19): which Stash entity a collection shows, its
desired details, the scene order of a group, hand-edit checks and the moves that order it.

No I/O here: `worker.collections` gathers scenes, stored rows and Plex's answers and asks these
functions what to write; `plex.collections` sends it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from validation.limits import MAX_EDIT_QUERY_BYTES, MAX_SUMMARY_CHARS
from validation.sanitize import clean_name, clean_summary, truncate

__all__ = [
    "CUSTOM_SORT",
    "CollectionRef",
    "choose_source",
    "clean_details",
    "desired_order",
    "fingerprint",
    "hand_edited",
    "member_key",
    "name_key",
    "order_kept",
    "plan_moves",
    "scene_refs",
]

# `collectionSort` values (plexapi Collection.sortUpdate: release 0, alpha 1, custom 2).
CUSTOM_SORT = 2
_KIND_RANK = {"group": 0, "studio": 1}  # a group wins the details of a shared name


@dataclass(frozen=True)
class CollectionRef:
    """One Stash entity shown as a collection tag on a scene's items."""

    kind: str  # "group" (a movie before Stash v0.27) or "studio" (the studio or its parent)
    entity_id: int
    name: str  # the collection name as pushed (validation.desired's cleaning)

    @property
    def key(self) -> str:
        return name_key(self.name)


def name_key(name: str) -> str:
    """Plex matches collection tags case-insensitively (plex.md §2.g, our desired state too)."""
    return name.casefold()


def _entity(value: object) -> tuple[int, str] | None:
    if not isinstance(value, Mapping):
        return None
    try:
        entity_id = int(str(value.get("id")))
    except ValueError:
        return None
    name = clean_name(value.get("name"))
    return (entity_id, name) if name else None


def scene_refs(scene: Mapping[str, object], pushed: Iterable[str]) -> list[CollectionRef]:
    """The entities behind the collection names pushed for `scene` (its desired `collection`
    tags: a name excluded by a limit or a setting is not ours to describe)."""
    wanted = {name_key(n) for n in pushed}
    refs: list[CollectionRef] = []
    studio = scene.get("studio")
    studios = [studio] if isinstance(studio, Mapping) else []
    if studios and isinstance(studios[0].get("parent_studio"), Mapping):
        studios.append(studios[0]["parent_studio"])  # type: ignore[index]
    for value in studios:
        found = _entity(value)
        if found:
            refs.append(CollectionRef("studio", *found))
    groups = scene.get("groups")
    for entry in groups if isinstance(groups, list) else ():
        found = _entity(entry.get("group")) if isinstance(entry, Mapping) else None
        if found:
            refs.append(CollectionRef("group", *found))
    return [r for r in refs if r.key in wanted]


def choose_source(refs: Iterable[CollectionRef]) -> tuple[CollectionRef, bool]:
    """The entity whose details a collection gets, and whether another kind shares its name
    (a group wins over a studio; among equals the lowest id, so the choice is stable)."""
    ordered = sorted(set(refs), key=lambda r: (_KIND_RANK.get(r.kind, 9), r.entity_id))
    return ordered[0], len({r.kind for r in ordered}) > 1


def fingerprint(value: object) -> str:
    """A short stable digest of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def clean_details(text: object, budget: int = MAX_EDIT_QUERY_BYTES - 1024) -> str:
    """A synopsis or studio details as a collection summary: cleaned like a scene summary and
    cut (at a grapheme boundary) so that, percent-encoded, it fits one type-18 edit's request
    line with room for the rest of it (validation.limits.MAX_EDIT_QUERY_BYTES)."""
    cleaned = clean_summary(text, MAX_SUMMARY_CHARS) if text else ""
    if len(quote(cleaned, safe="")) <= budget:
        return cleaned
    low, high = 0, len(cleaned)
    while low < high:  # the longest prefix whose encoding fits
        middle = (low + high + 1) // 2
        if len(quote(truncate(cleaned, middle), safe="")) <= budget:
            low = middle
        else:
            high = middle - 1
    return truncate(cleaned, low)


def member_key(scene: Mapping[str, object], group_id: int) -> list[object]:
    """A scene's place in a group: `scene_index` (none last), then the date (none last), then
    the title, then the scene id (so the order is total)."""
    index: int | None = None
    groups = scene.get("groups")
    for entry in groups if isinstance(groups, list) else ():
        group = entry.get("group") if isinstance(entry, Mapping) else None
        if isinstance(group, Mapping) and str(group.get("id")) == str(group_id):
            raw = entry.get("scene_index")
            index = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
            break
    date = scene.get("date")
    title = scene.get("title")
    return [
        index,
        date if isinstance(date, str) and date else None,
        title.casefold() if isinstance(title, str) else "",
    ]


def _sort_tuple(scene_id: str, key: Sequence[object]) -> tuple[object, ...]:
    index, date, title = [*key, None, None, ""][:3]
    return (
        index is None,
        index if isinstance(index, int) else 0,
        date is None,
        date or "",
        title or "",
        int(scene_id),
    )


def desired_order(members: Mapping[str, Sequence[object]], current: Sequence[int]) -> list[int]:
    """The collection's items in our order. `members`: scene id → [scene_index, date, title,
    [ratingKeys in this section]]; `current`: Plex's children now. Items we know come first in
    member order; items we do not know (added by hand) follow in Plex's order."""
    present = set(current)
    ordered: list[int] = []
    seen: set[int] = set()
    for _sid, entry in sorted(members.items(), key=lambda kv: _sort_tuple(kv[0], kv[1][:3])):
        keys = entry[3] if len(entry) > 3 and isinstance(entry[3], list) else []
        for rk in keys:
            if rk in present and rk not in seen:
                seen.add(rk)
                ordered.append(rk)
    ordered += [rk for rk in current if rk not in seen]
    return ordered


def plan_moves(current: Sequence[int], desired: Sequence[int]) -> list[tuple[int, int | None]]:
    """Moves `(item, after)` turning `current` into `desired` (the same items): the longest
    run already in order stays, every other item is moved right after its predecessor in
    `desired` (None: to the front), in desired order. At most len - 1 moves."""
    position = {rk: i for i, rk in enumerate(current)}
    sequence = [position[rk] for rk in desired]
    keep = _longest_increasing(sequence)
    return [(rk, desired[i - 1] if i else None) for i, rk in enumerate(desired) if i not in keep]


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # values
    tail_index: list[int] = []
    parent = [-1] * len(values)
    for i, value in enumerate(values):
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[at] = value
            tail_index[at] = i
        parent[i] = tail_index[at - 1] if at else -1
    keep: set[int] = set()
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        keep.add(i)
        i = parent[i]
    return keep


def hand_edited(current: str | None, baseline: str | None) -> bool:
    """A field differs from what Plex held right after our last write: edited by hand.
    No baseline (never written): not edited."""
    return baseline is not None and fingerprint(current or "") != baseline


def order_kept(current: Sequence[int], baseline: Sequence[int] | None) -> bool:
    """The user reordered the collection by hand since our last write: the items we ordered
    then no longer appear in that relative order (items Plex appended since do not count)."""
    if not baseline:
        return False
    known = set(baseline)
    return [rk for rk in current if rk in known] != [rk for rk in baseline if rk in set(current)]
