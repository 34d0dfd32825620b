"""Metadata edits of the Plex emulator: `PUT /library/sections/{id}/all` and item refreshes.

Parses the whole query into a plan first (so a bad parameter changes nothing), then applies
field values, locks and tag adds/removes to each target item; a refresh simulates the agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote

from sandbox.model import PLEX_TAG_ELEMENTS, PlexItem, PlexSection
from sandbox.plex_emu.state import PlexState

# Edit parameter name -> (PlexItem attribute, value kind).
VALUE_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("title", "title"),
    "titleSort": ("title_sort", "text"),
    "sortTitle": ("title_sort", "text"),  # third-party docs' name; plexapi sends titleSort
    "originalTitle": ("original_title", "text"),
    "editionTitle": ("edition_title", "text"),
    "studio": ("studio", "text"),
    "summary": ("summary", "text"),
    "tagline": ("tagline", "text"),
    "contentRating": ("content_rating", "text"),
    "originallyAvailableAt": ("originally_available_at", "date"),
    "year": ("year", "int"),
    "rating": ("rating", "float"),
    "audienceRating": ("audience_rating", "float"),
    "userRating": ("user_rating", "float"),
    "addedAt": ("added_at", "int"),
}
LOCK_ALIASES = {"sortTitle": "titleSort"}
LOCK_ONLY = frozenset({"thumb", "art", "theme"})
LOCK_NAME_OF_ATTR = {attr: LOCK_ALIASES.get(name, name) for name, (attr, _) in VALUE_FIELDS.items()}
IGNORED_PARAMS = frozenset({"id", "type", "includeExternalMedia"})
SEARCH_TYPES = {"movie": "1", "show": "2", "artist": "8", "photo": "13"}

_VALUE = re.compile(r"^(\w+)\.value$")
_LOCKED = re.compile(r"^(\w+)\.locked$")
_TAG_ADD = re.compile(r"^(\w+)\[(\d+)\]\.tag\.tag$")
_TAG_REMOVE = re.compile(r"^(\w+)\[\]\.tag\.tag-$")
_TAG_CLEAR = re.compile(r"^(\w+)\[\]\.tag$")
_TAG_ROLE = re.compile(r"^(\w+)\[(\d+)\]\.tagging\.text$")
_TAG_THUMB = re.compile(r"^(\w+)\[(\d+)\]\.tag\.thumb$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class EditError(Exception):
    """A parameter PMS would refuse with 400 (or 404 for foreign ids)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class TagOps:
    adds: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    thumbs: dict[int, str] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    clear: bool = False


@dataclass
class EditPlan:
    values: dict[str, object] = field(default_factory=dict)  # item attribute -> new value
    locks: dict[str, bool] = field(default_factory=dict)
    tags: dict[str, TagOps] = field(default_factory=dict)


def _parse_value(name: str, kind: str, raw: str) -> object:
    if raw == "":
        if kind == "title":
            raise EditError(400, "title cannot be empty")
        return None
    if kind in ("text", "title"):
        return raw
    if kind == "date":
        try:
            if not _DATE.match(raw):
                raise ValueError(raw)
            date.fromisoformat(raw)
        except ValueError:
            raise EditError(400, f"bad date for {name}") from None
        return raw
    try:
        return int(raw) if kind == "int" else float(raw)
    except ValueError:
        raise EditError(400, f"bad number for {name}") from None


def _tag_kind(name: str, strict: bool) -> str | None:
    if name in PLEX_TAG_ELEMENTS:
        return name
    if strict:
        raise EditError(400, f"unknown tag type {name}")
    return None


def parse_edit(query: list[tuple[str, str]], strict: bool) -> EditPlan:
    plan = EditPlan()
    for key, value in query:
        if key in IGNORED_PARAMS or key.startswith("X-Plex-"):
            continue
        if m := _VALUE.match(key):
            spec = VALUE_FIELDS.get(m[1])
            if spec is None:
                if strict:
                    raise EditError(400, f"unknown field {m[1]}")
                continue
            plan.values[spec[0]] = _parse_value(m[1], spec[1], value)
        elif m := _LOCKED.match(key):
            name = LOCK_ALIASES.get(m[1], m[1])
            if name not in VALUE_FIELDS and name not in PLEX_TAG_ELEMENTS and name not in LOCK_ONLY:
                if strict:
                    raise EditError(400, f"unknown field {m[1]}")
                continue
            plan.locks[name] = value.strip() not in ("", "0", "false")
        elif m := (_TAG_ADD.match(key) or _TAG_ROLE.match(key) or _TAG_THUMB.match(key)):
            kind = _tag_kind(m[1], strict)
            if kind is None:
                continue
            ops = plan.tags.setdefault(kind, TagOps())
            target = (
                ops.adds
                if key.endswith(".tag.tag")
                else (ops.roles if key.endswith(".tagging.text") else ops.thumbs)
            )
            target[int(m[2])] = value
        elif m := (_TAG_REMOVE.match(key) or _TAG_CLEAR.match(key)):
            kind = _tag_kind(m[1], strict)
            if kind is None:
                continue
            ops = plan.tags.setdefault(kind, TagOps())
            if key.endswith("-"):
                # plexapi quotes each name, joins with ",", and the query layer quotes again.
                ops.removes += [unquote(part) for part in value.split(",") if part != ""]
            else:
                ops.clear = True
        elif strict:
            raise EditError(400, f"unknown parameter {key}")
    return plan


def _apply_tags(state: PlexState, item: PlexItem, kind: str, ops: TagOps) -> bool:
    before = list(item.tags.get(kind, []))
    current = [] if ops.clear else list(before)
    extras_changed = False

    def add() -> None:
        nonlocal current, extras_changed
        names = [ops.adds[i] for i in sorted(ops.adds) if ops.adds[i] != ""]
        if state.modes.tag_add_mode == "replace" and names:
            current = []
        for name in names:
            if name.casefold() not in {c.casefold() for c in current}:
                current.append(state.new_tag_name(kind, name))
        for index in sorted(set(ops.roles) | set(ops.thumbs)):
            name = ops.adds.get(index)
            if not name:
                continue
            extra = state.role_extras.setdefault(item.rating_key, {}).setdefault(
                name.casefold(), {}
            )
            for attr, source in (("role", ops.roles), ("thumb", ops.thumbs)):
                if index in source and extra.get(attr) != source[index]:
                    extra[attr] = source[index]
                    extras_changed = True

    def remove() -> None:
        nonlocal current
        gone = {name.casefold() for name in ops.removes}
        current = [c for c in current if c.casefold() not in gone]

    for step in (remove, add) if state.modes.removes_before_adds else (add, remove):
        step()
    if current == before:
        return extras_changed
    if current:
        item.tags[kind] = current
    else:
        item.tags.pop(kind, None)
    return True


def apply_plan(state: PlexState, item: PlexItem, plan: EditPlan, *, locks_only: bool) -> bool:
    """Apply a parsed edit to one item; True when anything changed."""
    changed = False
    if not locks_only:
        for attr, value in plan.values.items():
            if getattr(item, attr) != value:
                setattr(item, attr, value)
                changed = True
                if attr in ("title", "title_sort"):
                    state.invalidate(item.section_id)
        for kind, ops in plan.tags.items():
            changed = _apply_tags(state, item, kind, ops) or changed
    for name, locked in plan.locks.items():
        if locked and name not in item.locked:
            item.locked.add(name)
            changed = True
        elif not locked and name in item.locked:
            item.locked.discard(name)
            changed = True
    if state.modes.normalise_values:
        changed = normalise(item) or changed
    return changed


def normalise(item: PlexItem) -> bool:
    """`normalise_values`: what a Plex that normalises would hold after an edit (plex.md is
    silent on all three; issue 15 lists them as plausible, docs/sandbox-plex.md).

    The year follows the date (a `year` edit is ignored while a date is set), a `year` lock
    is never reported, and userRating is rounded to a whole number: Plex's clients rate in
    half stars, which are whole steps of the 0-10 scale, so that is the coarsest rounding a
    real server could plausibly apply (and it changes Stash ratings like 85 -> 8.5 -> 9).
    """
    before = (item.year, item.user_rating, "year" in item.locked)
    if item.originally_available_at:
        item.year = int(item.originally_available_at[:4])
    if item.user_rating is not None:
        item.user_rating = float(int(item.user_rating + 0.5))
    item.locked.discard("year")
    return before != (item.year, item.user_rating, "year" in item.locked)


def _targets(state: PlexState, section: PlexSection, raw_ids: str | None) -> list[PlexItem]:
    items = state.library.items
    if raw_ids is None or raw_ids.strip() == "":
        return [items[k] for k in state.section_keys(section.id)]
    targets = []
    for part in raw_ids.split(","):
        if not part.strip().isdigit():
            raise EditError(400, "bad id")
        item = items.get(int(part))
        if item is None or item.section_id != section.id:
            raise EditError(404, "item not in section")  # PMS behaviour unverified
        targets.append(item)
    return targets


def section_edit(
    state: PlexState, section: PlexSection, query: list[tuple[str, str]], *, require_type: bool
) -> int:
    """Handle one edit PUT; returns the HTTP status. No `id`: only locks, on every item."""
    params = dict(query)
    expected_type = SEARCH_TYPES.get(section.type, "1")
    if require_type and state.modes.strict and params.get("type") != expected_type:
        raise EditError(400, "missing or wrong type")
    plan = parse_edit(query, state.modes.strict)
    raw_ids = params.get("id")
    targets = _targets(state, section, raw_ids)
    if state.modes.edit_silently_ignored:
        return 200
    locks_only = raw_ids is None or raw_ids.strip() == ""
    for item in targets:
        if apply_plan(state, item, plan, locks_only=locks_only):
            state.touch(item)
    return 200


def agent_refresh(state: PlexState, item: PlexItem) -> bool:
    """Simulated agent run: every unlocked field seeded in `agent_values` is reset to it.

    Keys are PlexItem attribute names (`summary`, `title_sort`), edit names (`titleSort`) or
    tag kinds (`genre`, `actor`, ...); locked fields and tag kinds are kept, as PMS does.
    """
    if not state.modes.agent_refresh:
        return False
    changed = False
    for key, value in item.agent_values.items():
        if key in PLEX_TAG_ELEMENTS:
            if key in item.locked:
                continue
            names = [str(v) for v in value] if isinstance(value, (list, tuple)) else []
            if item.tags.get(key, []) != names:
                if names:
                    item.tags[key] = names
                else:
                    item.tags.pop(key, None)
                changed = True
            continue
        attr = VALUE_FIELDS[key][0] if key in VALUE_FIELDS else key
        if attr not in LOCK_NAME_OF_ATTR or LOCK_NAME_OF_ATTR[attr] in item.locked:
            continue
        if getattr(item, attr) != value:
            setattr(item, attr, value)
            changed = True
            if attr in ("title", "title_sort"):
                state.invalidate(item.section_id)
    if changed:
        state.touch(item)
    return changed
