"""The edit plan for one Plex item (`EditPlan`: field and tag changes, locks) and its wire
encoding for `PUT /library/sections/{sid}/all`, as plexapi sends it.

Byte-for-byte plexapi's form (utils.joinArgs + mixins/edit.py `_tagHelper`): keys sorted
case-insensitively and left raw, values `quote(value, safe='')`; `<f>.value`/`<f>.locked=1`;
tag adds `<t>[i].tag.tag=<name>`; tag removal `<t>[].tag.tag-=` with each name `quote()`d,
joined by `,`, then quoted again; `id` and `type=1` always present (a PUT without `id` edits
the whole section). Split into several queries only above `MAX_EDIT_QUERY_BYTES` on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from validation.desired import RULES
from validation.fingerprint import FieldValue
from validation.limits import MAX_EDIT_QUERY_BYTES

__all__ = [
    "EditPlan",
    "FieldChange",
    "TagChange",
    "edit_path",
    "encode_edit",
    "encode_params",
    "wire_length",
    "wire_value",
]

_MOVIE_TYPE = "1"


@dataclass(frozen=True)
class FieldChange:
    """Set a scalar field (None clears it); always sent with its lock."""

    field: str
    value: FieldValue


@dataclass(frozen=True)
class TagChange:
    """Make one tag kind equal to the desired set: disjoint add and remove lists."""

    kind: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditPlan:
    """What to send for one item, and the fingerprints to store once it succeeded."""

    rating_key: int
    section_id: int
    fields: tuple[FieldChange, ...] = ()
    tags: tuple[TagChange, ...] = ()
    lock_only: tuple[str, ...] = ()  # lock names whose value is already right
    preserved: tuple[str, ...] = ()  # fields left alone because they were edited in Plex
    new_fingerprints: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when no request is needed."""
        return not (self.fields or self.tags or self.lock_only)

    @property
    def locks(self) -> tuple[str, ...]:
        """Every lock name this plan sets."""
        names = [RULES[c.field].lock for c in self.fields]
        names += [RULES[c.kind].lock for c in self.tags]
        return tuple(dict.fromkeys([*names, *self.lock_only]))


def wire_value(name: str, value: object) -> str:
    """A field value as sent in `<name>.value=` ("" clears)."""
    if value is None:
        return ""
    kind = RULES[name].kind
    if kind == "rating":
        return str(round(float(value), 1))  # type: ignore[arg-type]
    if kind == "year":
        return str(int(value))  # type: ignore[call-overload]
    return str(value)


def encode_params(params: dict[str, str]) -> str:
    """plexapi `utils.joinArgs` without the leading `?`."""
    keys = sorted(params, key=lambda key: key.lower())
    return "&".join(f"{key}={quote(str(params[key]), safe='')}" for key in keys)


def _param_cost(key: str, value: str) -> int:
    # Raw brackets in keys go out as %5B/%5D (urllib3), two extra bytes each.
    return len(key) + 2 * (key.count("[") + key.count("]")) + 1 + len(quote(value, safe=""))


def wire_length(query: str) -> int:
    """Bytes of `query` as it travels (brackets percent-encoded)."""
    return len(query.encode("utf-8")) + 2 * (query.count("[") + query.count("]"))


def edit_path(section_id: int, query: str) -> str:
    """The request path for one encoded edit."""
    return f"/library/sections/{section_id}/all?{query}"


def _removal_value(names: tuple[str, ...] | list[str]) -> str:
    return ",".join(quote(str(name)) for name in names)


def _cost(params: dict[str, str]) -> int:
    return sum(_param_cost(k, v) for k, v in params.items()) + max(len(params) - 1, 0)


def _removal_chunks(
    key: str, lock: dict[str, str], names: tuple[str, ...], budget: int
) -> list[dict[str, str]]:
    chunks: list[dict[str, str]] = []
    current: list[str] = []
    for name in names:
        trial = [*current, name]
        if current and _cost({**lock, key: _removal_value(trial)}) > budget:
            chunks.append({**lock, key: _removal_value(current)})
            trial = [name]
        current = trial
    if current:
        chunks.append({**lock, key: _removal_value(current)})
    return chunks


def _units(plan: EditPlan, budget: int) -> list[dict[str, str]]:
    """Atomic groups of parameters; a unit is never split across requests."""
    units: list[dict[str, str]] = []
    for change in plan.fields:
        lock = RULES[change.field].lock
        units.append(
            {f"{change.field}.value": wire_value(change.field, change.value), f"{lock}.locked": "1"}
        )
    for tag in plan.tags:
        lock = {f"{RULES[tag.kind].lock}.locked": "1"}
        removals = tuple(dict.fromkeys(tag.remove))
        # The whole add list stays in one request: under Plex's possible "replace" semantics
        # a second indexed list would replace the first. Removals are idempotent and disjoint
        # from the adds, so only they may be split.
        adds = {f"{tag.kind}[{i}].tag.tag": name for i, name in enumerate(tag.add)}
        removal_key = f"{tag.kind}[].tag.tag-"
        whole = {**lock, **adds}
        if removals:
            whole[removal_key] = _removal_value(removals)
        if not removals or _cost(whole) <= budget:
            units.append(whole)
            continue
        if adds:
            units.append({**lock, **adds})
        units.extend(_removal_chunks(removal_key, lock, removals, budget))
    units.extend({f"{name}.locked": "1"} for name in plan.lock_only)
    return units


def encode_edit(
    plan: EditPlan,
    rating_key: int | None = None,
    section_id: int | None = None,
    *,
    max_bytes: int = MAX_EDIT_QUERY_BYTES,
) -> list[str]:
    """Query strings (no `?`) for `PUT /library/sections/{section_id}/all`; [] for an empty plan.

    One query unless it would exceed `max_bytes` on the wire; then units (a field with its
    lock, a tag kind's lock + whole add list, removal chunks, lock-only entries) are packed
    first-fit, each query carrying `id` and `type`. A unit larger than the limit on its own
    (e.g. a 10,000-character summary) travels alone. `section_id` is accepted for symmetry with
    `edit_path`; the query itself does not contain it.
    """
    del section_id
    if plan.is_empty:
        return []
    base = {"id": str(plan.rating_key if rating_key is None else rating_key), "type": _MOVIE_TYPE}
    base_cost = _cost(base)
    bins: list[tuple[dict[str, str], int]] = []
    for unit in _units(plan, max_bytes - base_cost - 1):
        for index, (params, cost) in enumerate(bins):
            if any(key in params and params[key] != value for key, value in unit.items()):
                continue
            added = sum(_param_cost(k, v) + 1 for k, v in unit.items() if k not in params)
            if cost + added <= max_bytes:
                bins[index] = ({**params, **unit}, cost + added)
                break
        else:
            params = {**base, **unit}
            bins.append((params, _cost(params)))
    return [encode_params(params) for params, _ in bins]
