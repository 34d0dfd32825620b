"""Diff of one Plex item's current state against a scene's desired state -> `EditPlan`. Pure.

Rules (SPEC §2.5): Stash has a value -> Plex gets exactly it (tag lists made equal with the
exact-set recipe: add = the whole desired list, remove = current - desired, compared
case-insensitively); Stash has no value -> cleared only if we pushed the field before (a stored
fingerprint exists), so a first push never clears; `preserve_plex_edits` leaves a field alone
whose current (non-empty) value's fingerprint differs from the one we stored; every field
written is locked, and a managed field already right but unlocked gets a lock-only change;
nothing to do -> an empty plan (no request). Plex-side value normalisation lives here.
Convergence (issue 15): with a post-write `baseline` (plex.baseline: what Plex held right after
our last write), a field whose desired value is what we last pushed and whose Plex value is
still exactly the baseline is unchanged, even when Plex normalised it (a year derived from the
date, a lock it never reports, a rounded rating); a hand edit differs from the baseline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from plex.edit_encoding import (
    EditPlan,
    FieldChange,
    TagChange,
    edit_path,
    encode_edit,
    wire_length,
)
from validation.desired import IMAGE_FIELDS, RULES, DesiredItem
from validation.fingerprint import FieldValue, canonical, fingerprint_value

__all__ = [
    "BASE_LOCKS",
    "EditPlan",
    "FieldChange",
    "ImageAction",
    "PlexItemState",
    "TagChange",
    "add_locks",
    "diff_item",
    "edit_path",
    "encode_edit",
    "normalize_plex_value",
    "plan_images",
    "preserved_fields",
    "wire_length",
]


# The baseline key holding the locks Plex reported after our write (comma-separated).
BASE_LOCKS = "@locks"


@dataclass(frozen=True)
class PlexItemState:
    """A Plex item's current full state, as plain data read from the full item XML.

    `fields` holds raw values by Plex name (XML strings or already-typed values; missing or ""
    means no value); `tags` the complete tag names per kind (`genre`, `actor`, `collection`);
    `locked` the names of its `<Field locked="1">` elements; `selected_*` the `ratingKey` of the
    selected poster/art resource (e.g. `upload://posters/<sha1>`) when known.
    """

    rating_key: int
    section_id: int
    fields: Mapping[str, object] = field(default_factory=dict)
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    selected_poster: str | None = None
    selected_art: str | None = None


def _tag_name(tag: object) -> str:
    if isinstance(tag, Mapping):
        tag = tag.get("tag") or tag.get("name") or ""
    return str(tag) if tag is not None else ""


def normalize_plex_value(name: str, raw: object) -> FieldValue:
    """A raw Plex value of field `name` in the typed form `DesiredItem` uses; None = no value."""
    kind = RULES[name].kind
    if kind == "tags":
        if raw is None or isinstance(raw, str):
            return ()
        names = (_tag_name(tag) for tag in raw)  # type: ignore[union-attr]
        return tuple(n for n in names if n.strip())
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind == "date":
        if isinstance(raw, (date, datetime)):
            return raw.strftime("%Y-%m-%d")
        text = str(raw).strip()[:10]
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    if kind == "year":
        try:
            year = int(str(raw).strip())
        except ValueError:
            return None
        return year if year > 0 else None
    if kind == "rating":
        try:
            return round(float(str(raw).strip()), 1)
        except ValueError:
            return None
    return str(raw)


def _current(state: PlexItemState, name: str) -> FieldValue:
    raw = state.tags.get(name) if RULES[name].kind == "tags" else state.fields.get(name)
    return normalize_plex_value(name, raw)


def _tag_change(kind: str, want: tuple[str, ...], have: tuple[str, ...]) -> TagChange:
    wanted = {name.casefold() for name in want}
    remove: dict[str, str] = {}
    for name in have:
        if name.casefold() not in wanted:
            remove.setdefault(name.casefold(), name)
    return TagChange(kind, add=tuple(want), remove=tuple(remove.values()))


def diff_item(
    state: PlexItemState,
    desired: DesiredItem,
    previous: Mapping[str, str] | None = None,
    preserve_plex_edits: bool | frozenset[str] = False,
    baseline: Mapping[str, str] | None = None,
) -> EditPlan:
    """The `EditPlan` bringing `state` to `desired` (see module docstring for the rules).

    `previous` maps field name -> fingerprint of what we last pushed (empty on a first push).
    Fingerprints of fields not managed now are carried over unchanged; a cleared field's
    fingerprint is dropped (we no longer own a value there). `baseline` (field name ->
    fingerprint of Plex's value after our last write, and `BASE_LOCKS`) makes Plex's own
    normalisation converge.
    """
    stored_all = dict(previous or {})
    new_fps = dict(stored_all)
    changes: list[FieldChange] = []
    tag_changes: list[TagChange] = []
    lock_only: list[str] = []
    preserved: list[str] = []

    for name, want in desired.managed().items():
        rule = RULES[name]
        have = _current(state, name)
        stored = stored_all.get(name)
        base = (baseline or {}).get(name)
        if _converged(want, have, stored, base):
            # Plex holds what it made of our last push: no value edit, and a lock-only edit
            # only when Plex reported that lock after our write and lost it since.
            if rule.lock not in state.locked and rule.lock in _base_locks(baseline):
                lock_only.append(rule.lock)
            continue
        # An emptied Plex field is not a hand edit: agent refreshes wipe fields, and refilling
        # them is what the empty_metadata reconciliation is for (skip_* turns a field off).
        hand_edited = (
            _preserves(preserve_plex_edits, name)
            and stored is not None
            and canonical(have) is not None
            and fingerprint_value(have) != (stored if base is None else base)
        )
        if canonical(want) is not None:
            if canonical(want) == canonical(have):
                new_fps[name] = fingerprint_value(want)
                if rule.lock not in state.locked:
                    lock_only.append(rule.lock)
                continue
            if hand_edited:
                preserved.append(name)
                continue
            new_fps[name] = fingerprint_value(want)
        else:
            if stored is None:
                continue  # never pushed: a first push never clears
            if hand_edited:
                preserved.append(name)
                continue
            new_fps.pop(name, None)
            if canonical(have) is None:
                continue  # already empty
        if rule.kind == "tags":
            tag_changes.append(_tag_change(name, want or (), have or ()))  # type: ignore[arg-type]
        else:
            changes.append(FieldChange(name, want))

    return EditPlan(
        rating_key=state.rating_key,
        section_id=state.section_id,
        fields=tuple(changes),
        tags=tuple(tag_changes),
        lock_only=tuple(lock_only),
        preserved=tuple(preserved),
        new_fingerprints=new_fps,
    )


def preserved_fields(preserve_plex_edits: bool, pull_ratings: bool) -> bool | frozenset[str]:
    """What `preserve_plex_edits` keeps: every field, or, with `pull_ratings`, every field but
    the rating (issue 18: a rating changed in Plex is pulled into Stash, never a hand edit, and
    when Stash's changed too, Stash's goes back to Plex). Truthy exactly when it keeps any."""
    if not preserve_plex_edits or not pull_ratings:
        return preserve_plex_edits
    return frozenset(name for name in RULES if name != "userRating")


def _preserves(preserve: bool | frozenset[str], name: str) -> bool:
    return name in preserve if isinstance(preserve, frozenset) else bool(preserve)


def _converged(want: FieldValue, have: FieldValue, stored: str | None, base: str | None) -> bool:
    """Desired = what we last pushed, and Plex still holds exactly the post-write baseline."""
    return (
        base is not None
        and stored is not None
        and canonical(want) is not None
        and fingerprint_value(want) == stored
        and fingerprint_value(have) == base
    )


def _base_locks(baseline: Mapping[str, str] | None) -> frozenset[str]:
    raw = (baseline or {}).get(BASE_LOCKS, "")
    return frozenset(n for n in raw.split(",") if n)


def add_locks(plan: EditPlan, names: Iterable[str]) -> EditPlan:
    """`plan` with extra lock-only names (e.g. `thumb`/`art` after image uploads)."""
    extra = [n for n in names if n not in plan.locks]
    if not extra:
        return plan
    return dataclasses.replace(plan, lock_only=(*plan.lock_only, *extra))


@dataclass(frozen=True)
class ImageAction:
    """What to do with one image kind (`poster` or `art`)."""

    kind: str
    upload: bool
    lock: bool  # send `<lock>.locked=1` (after the upload, or alone)
    sha1: str  # fingerprint to store once done
    lock_name: str = ""


_UPLOAD_PREFIX = {"poster": "upload://posters/", "art": "upload://arts/"}


def plan_images(
    state: PlexItemState,
    desired: DesiredItem,
    image_sha1: Mapping[str, str | None],
    previous: Mapping[str, str] | None = None,
    preserve_plex_edits: bool = False,
) -> tuple[ImageAction, ...]:
    """Upload an image only when its bytes' SHA-1 is not what Plex has selected / we stored.

    `image_sha1` maps `poster`/`art` to the SHA-1 of the cover bytes fetched (None or absent:
    nothing usable, e.g. cover pending; no action). When Plex's selected resource is unknown the
    stored fingerprint decides. `preserve_plex_edits` keeps an image selected by hand in Plex.
    """
    stored_all = previous or {}
    urls = {"poster": desired.poster_url, "art": desired.art_url}
    selected = {"poster": state.selected_poster, "art": state.selected_art}
    actions: list[ImageAction] = []
    for kind in IMAGE_FIELDS:
        sha1 = image_sha1.get(kind)
        if not urls.get(kind) or not sha1:
            continue
        lock_name = RULES[kind].lock
        stored = stored_all.get(kind)
        current = selected[kind]
        if current == _UPLOAD_PREFIX[kind] + sha1 or (current is None and stored == sha1):
            if lock_name not in state.locked:
                actions.append(
                    ImageAction(kind, upload=False, lock=True, sha1=sha1, lock_name=lock_name)
                )
            continue
        chosen_by_hand = current is not None and current != _UPLOAD_PREFIX[kind] + (stored or "")
        if preserve_plex_edits and stored is not None and chosen_by_hand:
            continue
        actions.append(ImageAction(kind, upload=True, lock=True, sha1=sha1, lock_name=lock_name))
    return tuple(actions)
