"""Desired Plex state of one Stash scene: the field table (Stash -> Plex) and its builder.

`FIELD_TABLE` is the one place the mapping of SPEC §2.5 lives. `build_desired` turns a Stash
GraphQL scene dict into a `DesiredItem` (per-field values keyed by Plex edit names) or a
`Skip` with the reason the scene is not pushed at all. Pure: no I/O.

Value conventions in `DesiredItem.fields` / `.tags`: a key is present only for fields we manage
for this scene (skip toggles, an empty title or an unset content rating leave it out, and the
diff never touches absent fields); `None` / `()` means "Stash has no value" (the diff clears the
Plex field only if we pushed it before).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from base.status import SceneStatus
from validation.fingerprint import FieldValue, fingerprint_fields, fingerprint_value
from validation.limits import (
    MAX_ACTORS,
    MAX_COLLECTIONS,
    MAX_CONTENT_RATING_CHARS,
    MAX_GENRES,
    MAX_TITLE_CHARS,
)
from validation.meaningful import has_meaningful_metadata
from validation.sanitize import clean_name, clean_names, clean_summary

__all__ = [
    "FIELD_TABLE",
    "IMAGE_FIELDS",
    "NOT_MANAGED",
    "RULES",
    "SCALAR_FIELDS",
    "TAG_KINDS",
    "DesiredItem",
    "DesiredOptions",
    "FieldRule",
    "Skip",
    "build_desired",
    "parse_stash_date",
    "rating_from_rating100",
]


class _NotManaged:
    """Marker: the scene gives us nothing to manage for this field; never write or clear it."""

    def __repr__(self) -> str:
        return "NOT_MANAGED"


NOT_MANAGED = _NotManaged()

_SKIP_FLAGS = (
    "skip_title",
    "skip_summary",
    "skip_date",
    "skip_rating",
    "skip_studio",
    "skip_performers",
    "skip_tags",
    "skip_collections",
    "skip_poster",
    "skip_background",
)
_TRUE_STRINGS = frozenset({"1", "true", "yes", "on"})


def _setting(config: object, name: str, default: object) -> object:
    if isinstance(config, Mapping):
        return config.get(name, default)
    return getattr(config, name, default)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_STRINGS
    return bool(value)


def _as_name_set(value: object) -> frozenset[str]:
    items: Iterable[object]
    if value is None:
        items = ()
    elif isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, Iterable):
        items = value
    else:
        items = (value,)
    return frozenset(name.casefold() for name in (clean_name(item) for item in items) if name)


@dataclass(frozen=True)
class DesiredOptions:
    """The settings that shape desired state (SPEC §5); booleans default to false."""

    skip_title: bool = False
    skip_summary: bool = False
    skip_date: bool = False
    skip_rating: bool = False
    skip_studio: bool = False
    skip_performers: bool = False
    skip_tags: bool = False
    skip_collections: bool = False
    skip_poster: bool = False
    skip_background: bool = False
    require_organized: bool = False
    exclude_tags: frozenset[str] = frozenset()  # casefolded, sanitised names
    content_rating: str = ""

    @classmethod
    def from_config(cls, config: object) -> DesiredOptions:
        """Read the settings by name from any object (or mapping); missing ones default."""
        flags = {name: _as_bool(_setting(config, name, False)) for name in _SKIP_FLAGS}
        rating = _setting(config, "content_rating", "")
        return cls(
            **flags,
            require_organized=_as_bool(_setting(config, "require_organized", False)),
            exclude_tags=_as_name_set(_setting(config, "exclude_tags", "")),
            content_rating=clean_name(rating or "", MAX_CONTENT_RATING_CHARS),
        )


# --- extraction helpers -------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_stash_date(value: object) -> tuple[str | None, int | None]:
    """Stash `date` -> (originallyAvailableAt, year).

    `YYYY-MM-DD` as is; `YYYY-MM` -> first of the month; `YYYY` -> (None, year) because Plex's
    date field takes only full dates. Anything unparsable -> (None, None).
    """
    if not isinstance(value, str):
        return None, None
    match = _DATE_RE.match(value.strip())
    if not match:
        return None, None
    year = int(match.group(1))
    if match.group(2) is None:
        return (None, year) if year >= 1 else (None, None)
    try:
        day = date(year, int(match.group(2)), int(match.group(3) or 1))
    except ValueError:
        return None, None
    return day.isoformat(), year


def rating_from_rating100(value: object) -> float | None:
    """Stash rating100 (1-100) -> Plex userRating (0-10, one decimal); None when unset/bad."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    return round(min(number, 100.0) / 10.0, 1)


def _name_of(value: object) -> object:
    if isinstance(value, Mapping):
        return value.get("name")
    return value


def _names(values: object) -> list[object]:
    if not isinstance(values, (list, tuple)):
        return []
    return [_name_of(value) for value in values]


def _group_names(scene: Mapping[str, object]) -> list[object]:
    # `groups{group{name}}` since Stash v0.27; `movies{movie{name}}` before.
    names: list[object] = []
    for key, inner in (("groups", "group"), ("movies", "movie")):
        for entry in scene.get(key) or ():
            if isinstance(entry, Mapping):
                names.append(_name_of(entry.get(inner)))
    return names


def _studio(scene: Mapping[str, object]) -> tuple[object, object]:
    studio = scene.get("studio")
    if isinstance(studio, Mapping):
        parent = studio.get("parent_studio")
        return studio.get("name"), _name_of(parent) if parent else None
    return studio, None


def _screenshot(scene: Mapping[str, object]) -> str | None:
    paths = scene.get("paths")
    url = paths.get("screenshot") if isinstance(paths, Mapping) else None
    return url if isinstance(url, str) and url.strip() else None


# --- the field table ----------------------------------------------------------------------

Extract = Callable[[Mapping[str, object], DesiredOptions], "FieldValue | _NotManaged"]


@dataclass(frozen=True)
class FieldRule:
    """One row of SPEC §2.5: Stash source -> Plex field, its skip flag and lock name."""

    plex: str  # Plex edit name (`<plex>.value` / `<plex>[i].tag.tag`)
    stash: str  # the Stash source, for documentation and messages
    kind: str  # 'text' | 'date' | 'year' | 'rating' | 'tags' | 'image'
    skip: str | None  # DesiredOptions flag that turns the field off
    lock: str  # name in `<lock>.locked=1` and in Plex's <Field name=...>
    extract: Extract


def _title(scene: Mapping[str, object], _: DesiredOptions) -> FieldValue | _NotManaged:
    # Never the file name, and never cleared: an empty title leaves Plex's title alone.
    return clean_name(scene.get("title"), MAX_TITLE_CHARS) or NOT_MANAGED


def _content_rating(_: Mapping[str, object], options: DesiredOptions) -> FieldValue | _NotManaged:
    return options.content_rating or NOT_MANAGED


FIELD_TABLE: tuple[FieldRule, ...] = (
    FieldRule("title", "title", "text", "skip_title", "title", _title),
    FieldRule(
        "summary",
        "details",
        "text",
        "skip_summary",
        "summary",
        lambda s, _: clean_summary(s.get("details")) or None,
    ),
    FieldRule(
        "originallyAvailableAt",
        "date",
        "date",
        "skip_date",
        "originallyAvailableAt",
        lambda s, _: parse_stash_date(s.get("date"))[0],
    ),
    FieldRule(
        "year", "date", "year", "skip_date", "year", lambda s, _: parse_stash_date(s.get("date"))[1]
    ),
    FieldRule(
        "userRating",
        "rating100",
        "rating",
        "skip_rating",
        "userRating",
        lambda s, _: rating_from_rating100(s.get("rating100")),
    ),
    FieldRule(
        "studio",
        "studio.name",
        "text",
        "skip_studio",
        "studio",
        lambda s, _: clean_name(_studio(s)[0]) or None,
    ),
    FieldRule(
        "contentRating", "setting content_rating", "text", None, "contentRating", _content_rating
    ),
    FieldRule(
        "actor",
        "performers[].name",
        "tags",
        "skip_performers",
        "actor",
        lambda s, _: clean_names(_names(s.get("performers")), max_count=MAX_ACTORS),
    ),
    FieldRule(
        "genre",
        "tags[].name minus exclude_tags",
        "tags",
        "skip_tags",
        "genre",
        lambda s, o: clean_names(
            _names(s.get("tags")), max_count=MAX_GENRES, exclude=o.exclude_tags
        ),
    ),
    FieldRule(
        "collection",
        "studio.name, studio.parent_studio.name, groups[].group.name",
        "tags",
        "skip_collections",
        "collection",
        lambda s, _: clean_names([*_studio(s), *_group_names(s)], max_count=MAX_COLLECTIONS),
    ),
    FieldRule(
        "poster", "paths.screenshot", "image", "skip_poster", "thumb", lambda s, _: _screenshot(s)
    ),
    FieldRule(
        "art", "paths.screenshot", "image", "skip_background", "art", lambda s, _: _screenshot(s)
    ),
)

SCALAR_FIELDS: tuple[str, ...] = tuple(
    r.plex for r in FIELD_TABLE if r.kind not in ("tags", "image")
)
TAG_KINDS: tuple[str, ...] = tuple(r.plex for r in FIELD_TABLE if r.kind == "tags")
IMAGE_FIELDS: tuple[str, ...] = tuple(r.plex for r in FIELD_TABLE if r.kind == "image")
RULES: dict[str, FieldRule] = {r.plex: r for r in FIELD_TABLE}


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skip:
    """The scene is not pushed at all: `status` says why (`NOT_ORGANIZED`, `NO_METADATA`,
    `BAD_ID`), `detail` adds what only a debug line needs."""

    scene_id: int | None
    status: SceneStatus
    detail: str = ""

    @property
    def reason(self) -> str:
        """The reason in words (the status's phrase, and the detail if any)."""
        return f"{self.status.phrase} ({self.detail})" if self.detail else self.status.phrase


@dataclass(frozen=True)
class DesiredItem:
    """What Plex should hold for one scene; keys are Plex edit names (see module docstring)."""

    scene_id: int
    fields: dict[str, FieldValue] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    poster_url: str | None = None
    art_url: str | None = None
    updated_at: str | None = None

    def managed(self) -> dict[str, FieldValue]:
        """Every managed field and tag kind with its desired value."""
        return {**self.fields, **self.tags}

    def fingerprint(self, name: str) -> str:
        """Fingerprint of one managed field's desired value (KeyError when not managed)."""
        return fingerprint_value(self.managed()[name])

    def fingerprints(self) -> dict[str, str]:
        """Fingerprint per managed field."""
        return {name: fingerprint_value(value) for name, value in self.managed().items()}

    def fingerprint_all(self) -> str:
        """One digest over every managed field (images excluded: their bytes are I/O)."""
        return fingerprint_fields(self.managed())


def build_desired(scene: Mapping[str, object], options: DesiredOptions) -> DesiredItem | Skip:
    """Desired Plex state for a Stash scene dict, or why the scene is not pushed at all."""
    try:
        scene_id = int(str(scene.get("id")).strip())
    except (TypeError, ValueError):
        return Skip(None, SceneStatus.BAD_ID, f"id {scene.get('id')!r}")
    if options.require_organized and not _as_bool(scene.get("organized")):
        return Skip(scene_id, SceneStatus.NOT_ORGANIZED, "require_organized is on")
    if not has_meaningful_metadata(scene):
        return Skip(scene_id, SceneStatus.NO_METADATA)

    fields: dict[str, FieldValue] = {}
    tags: dict[str, tuple[str, ...]] = {}
    images: dict[str, str | None] = {}
    for rule in FIELD_TABLE:
        if rule.skip and getattr(options, rule.skip):
            continue
        value = rule.extract(scene, options)
        if value is NOT_MANAGED:
            continue
        if rule.kind == "tags":
            tags[rule.plex] = value  # type: ignore[assignment]
        elif rule.kind == "image":
            images[rule.plex] = value  # type: ignore[assignment]
        else:
            fields[rule.plex] = value  # type: ignore[assignment]
    updated_at = scene.get("updated_at")
    return DesiredItem(
        scene_id=scene_id,
        fields=fields,
        tags=tags,
        poster_url=images.get("poster"),
        art_url=images.get("art"),
        updated_at=updated_at if isinstance(updated_at, str) else None,
    )
