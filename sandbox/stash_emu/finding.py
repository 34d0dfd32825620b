"""findScenes / findPerformers / ... over the library: filter criteria, sub-filters and `q`.

Mirrors Stash's query builder: sub-filters combine as `criteria AND sub` / `criteria OR sub`
/ `criteria AND NOT sub` (only one of them per level); `q` searches words in title, details,
folder, basename and fingerprint. Sorting and paging live in sorting.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.model import StashScene
from sandbox.stash_emu.criteria import (
    FilterError,
    any_row,
    descendants,
    int_predicate,
    like_regex,
    multi_predicate,
    search_terms,
    single_predicate,
    string_predicate,
    text_predicate,
)
from sandbox.stash_emu.render import tag_parent_ids
from sandbox.stash_emu.sorting import (
    ENTITY_SORTS,
    FindContext,
    natural_key,
    padded_date,
    page,
    random_key,
    sort_items,
    sort_scenes,
)
from sandbox.stash_emu.values import DEFAULT_TIME, oshash, split_path

Pred = Callable[[Any], bool]
Apply = Callable[[list[Any]], list[Any]]


# --- filters -----------------------------------------------------------------------------------


def _combine(own: list[Pred], f: dict[str, Any], build: Callable[[dict[str, Any]], Apply]) -> Apply:
    """This level's criteria AND-ed, then AND / OR / NOT with the one sub-filter."""
    subs = [name for name in ("AND", "OR", "NOT") if f.get(name) is not None]
    if len(subs) > 1:
        raise FilterError(f"cannot have {subs[0]} and {subs[1]} in the same filter")

    def mine(items: list[Any]) -> list[Any]:
        for pred in own:  # one pass per criterion: cheaper than a nested predicate per row
            items = [o for o in items if pred(o)]
        return items

    if not subs:
        return mine
    sub = build(f[subs[0]])
    if subs[0] == "AND":
        return lambda items: sub(mine(items))
    if subs[0] == "OR":

        def either(items: list[Any]) -> list[Any]:
            keep = {id(o) for o in sub(items)}
            if own:
                keep |= {id(o) for o in mine(items)}
            return [o for o in items if id(o) in keep]

        return either

    def minus(items: list[Any]) -> list[Any]:
        base = mine(items)
        drop = {id(o) for o in sub(base)}
        return [o for o in base if id(o) not in drop]

    return minus


def _children_map(pairs: list[tuple[int, int | None]]) -> Callable[[int], list[int]]:
    children: dict[int, list[int]] = {}
    for child, parent in pairs:
        if parent is not None:
            children.setdefault(parent, []).append(child)
    return lambda parent: children.get(parent, [])


def scene_filter(f: dict[str, Any] | None, fc: FindContext) -> Apply:
    """SceneFilterType -> a function keeping the matching scenes of a list, in order."""
    if not f:
        return lambda items: items
    lib, ex, fmt = fc.library, fc.extras, fc.fmt
    own: list[Pred] = []

    def add_str(name: str, get: Callable[[StashScene], str | None]) -> None:
        if f.get(name) is not None:
            pred = string_predicate(f[name])
            own.append(lambda s: pred(get(s)))

    def add_int(name: str, get: Callable[[StashScene], float | None]) -> None:
        if f.get(name) is not None:
            pred = int_predicate(f[name])
            own.append(lambda s: pred(get(s)))

    def add_text(name: str, get: Callable[[StashScene], str | None]) -> None:
        if f.get(name) is not None:
            pred = text_predicate(f[name], fc.upper_default)
            own.append(lambda s: pred(get(s)))

    add_int("id", lambda s: s.id)
    add_str("title", lambda s: s.title)
    add_str("code", lambda s: ex.get("scene", s.id, "code"))  # type: ignore[arg-type,return-value]
    add_str("details", lambda s: s.details)
    add_str("director", lambda s: ex.get("scene", s.id, "director"))  # type: ignore[arg-type,return-value]
    if f.get("path") is not None:
        path_pred = string_predicate(f["path"])
        own.append(lambda s: any_row(path_pred, (x.path for x in s.files)))
    if f.get("url") is not None:
        url_pred = string_predicate(f["url"])
        own.append(lambda s: any_row(url_pred, s.urls))
    add_int("file_count", lambda s: len(s.files))
    add_int("rating100", lambda s: s.rating100)
    if f.get("organized") is not None:
        wanted = bool(f["organized"])
        own.append(lambda s: bool(s.organized) == wanted)
    add_int("o_counter", lambda s: ex.get("scene", s.id, "o_counter", 0))  # type: ignore[arg-type,return-value]
    if f.get("duration") is not None:
        dur_pred = int_predicate(f["duration"])
        own.append(
            lambda s: (
                any(dur_pred(int(x.duration)) for x in s.files) or (not s.files and dur_pred(None))
            )
        )
    if f.get("studios") is not None:
        crit = f["studios"]
        kids = _children_map([(st.id, st.parent_id) for st in lib.studios.values()])
        studio_pred = single_predicate(crit, lambda i: descendants(i, kids, crit.get("depth")))
        own.append(lambda s: studio_pred(s.studio_id))
    if f.get("tags") is not None:
        crit = f["tags"]
        kids = _children_map([(t, p) for t in lib.tags for p in tag_parent_ids(ex, t)])
        tag_pred = multi_predicate(crit, lambda i: descendants(i, kids, crit.get("depth")))
        own.append(lambda s: tag_pred(set(s.tag_ids)))
    if f.get("groups") is not None:
        group_pred = multi_predicate(f["groups"])
        own.append(lambda s: group_pred({g for g, _ in s.groups}))
    if f.get("performers") is not None:
        perf_pred = multi_predicate(f["performers"])
        own.append(lambda s: perf_pred(set(s.performer_ids)))
    if f.get("is_missing") is not None:
        own.append(_missing_predicate(str(f["is_missing"]), fc))
    add_int("tag_count", lambda s: len(s.tag_ids))
    add_int("performer_count", lambda s: len(s.performer_ids))
    add_text("date", lambda s: padded_date(s.date))
    add_text("created_at", lambda s: fmt(s.created_at))
    add_text("updated_at", lambda s: fmt(s.updated_at))
    return _combine(own, f, lambda sub: scene_filter(sub, fc))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing_predicate(what: str, fc: FindContext) -> Pred:
    """`is_missing` as Stash's sceneIsMissingCriterionHandler switch: named relations, the
    cover blob, else a `scenes` column that is NULL or blank (an unknown column is an SQL
    error). Galleries, stash ids and phashes are never emulated, so always missing."""
    relations: dict[str, Pred] = {
        "url": lambda s: not s.urls,
        "galleries": lambda s: True,
        "studio": lambda s: s.studio_id is None,
        "movie": lambda s: not s.groups,
        "group": lambda s: not s.groups,
        "performers": lambda s: not s.performer_ids,
        "date": lambda s: _blank(s.date),
        "tags": lambda s: not s.tag_ids,
        "stash_id": lambda s: True,
        "phash": lambda s: True,
        "cover": lambda s: s.cover is None,
        "title": lambda s: _blank(s.title),
        "details": lambda s: _blank(s.details),
        "code": lambda s: _blank(fc.extras.get("scene", s.id, "code")),
        "director": lambda s: _blank(fc.extras.get("scene", s.id, "director")),
    }
    pred = relations.get(what)
    if pred is None:
        raise FilterError(f"no such column: scenes.{what}")
    return pred


def q_predicate(q: str | None) -> Pred | None:
    """`q`: any word (or the quoted phrase) in title, details, folder, basename or oshash."""
    if not q:
        return None
    words, _ = search_terms(q)
    patterns = [like_regex(f"%{w}%") for w in words]

    def columns(s: StashScene) -> list[str]:
        cols = [c for c in (s.title, s.details) if c is not None]
        for file in s.files:
            cols.extend(split_path(file.path))
            cols.append(oshash(file.path, file.size))
        return cols

    return lambda s: any(p.search(c) for c in columns(s) for p in patterns)


def find_scenes(
    fc: FindContext,
    criteria: dict[str, Any] | None,
    find_filter: dict[str, Any] | None,
) -> tuple[list[StashScene], list[StashScene]]:
    """(every match in order, the requested page)."""
    find_filter = find_filter or {}
    keep = scene_filter(criteria, fc)
    q_pred = q_predicate(find_filter.get("q"))
    with fc.library.lock:
        scenes = list(fc.library.scenes.values())
    matches = keep(scenes)
    if q_pred is not None:
        matches = [s for s in matches if q_pred(s)]
    ordered = sort_scenes(matches, find_filter, fc)
    return ordered, page(ordered, find_filter)


# --- other entities ------------------------------------------------------------------------------


def _entity_times(kind: str, fc: FindContext) -> dict[str, Callable[[Any], str | None]]:
    def created(o: Any) -> str | None:
        stored = fc.extras.get(kind, o.id, "created_at")
        return fc.fmt(stored or o.updated_at or DEFAULT_TIME)  # type: ignore[arg-type]

    return {"created_at": created, "updated_at": lambda o: fc.fmt(o.updated_at or DEFAULT_TIME)}


def entity_filter(kind: str, f: dict[str, Any] | None, fc: FindContext) -> Apply:
    """PerformerFilterType / StudioFilterType / TagFilterType / GroupFilterType subset."""
    if not f:
        return lambda items: items
    own: list[Pred] = []
    if f.get("name") is not None:
        name_pred = string_predicate(f["name"])
        own.append(lambda o: name_pred(o.name))
    for column, text_of in _entity_times(kind, fc).items():
        if f.get(column) is not None:
            pred = text_predicate(f[column], fc.upper_default)
            own.append(lambda o, p=pred, t=text_of: p(t(o)))  # type: ignore[misc]
    if kind == "studio" and f.get("parents") is not None:
        parent_pred = single_predicate(f["parents"])
        own.append(lambda o: parent_pred(o.parent_id))
    return _combine(own, f, lambda sub: entity_filter(kind, sub, fc))


def find_entities(
    kind: str,
    objects: list[Any],
    criteria: dict[str, Any] | None,
    find_filter: dict[str, Any] | None,
    fc: FindContext,
) -> tuple[list[Any], list[Any]]:
    """(every match in order, the requested page) for performers, studios, tags, groups."""
    find_filter = find_filter or {}
    matches = entity_filter(kind, criteria, fc)(objects)
    q = find_filter.get("q")
    if q:
        q_pred = string_predicate({"value": q, "modifier": "INCLUDES"})
        matches = [o for o in matches if q_pred(o.name)]
    sort = find_filter.get("sort")
    if not sort:
        return matches, page(matches, find_filter)
    keys: dict[str, Callable[[Any], Any]] = {
        "id": lambda o: o.id,
        "name": lambda o: natural_key(o.name),
        **_entity_times(kind, fc),
    }
    if sort == "random" or sort.startswith("random_"):
        key = random_key(sort)
    elif sort in ENTITY_SORTS:
        key = keys[sort]
    else:
        raise FilterError(f"invalid sort: {sort}")
    matches = sort_items(
        matches, find_filter.get("direction"), key, lambda o: (natural_key(o.name), o.id)
    )
    return matches, page(matches, find_filter)
