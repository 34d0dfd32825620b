"""The generator's own Stash scene → Plex fields mapping (SPEC §2.5), for "synced" items.

Deliberately simple and separate from the plugin's desired-state builder: it states what a
previous correct sync would have left on an item, so tests can compare the two. Defaults
only: no exclude_tags, no content_rating, no skip_* settings, first push (nothing cleared).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sandbox.model import StashLibrary, StashScene

MAX_NAME = 255
MAX_SUMMARY = 10_000
MAX_TAGS = 200

# PlexItem attribute -> Plex field name used by edits and <Field locked="1" name=...>.
LOCK_NAMES = {
    "title": "title",
    "summary": "summary",
    "originally_available_at": "originallyAvailableAt",
    "year": "year",
    "user_rating": "userRating",
    "studio": "studio",
    "genre": "genre",
    "actor": "actor",
    "collection": "collection",
}


@dataclass
class DesiredItem:
    """Values a sync writes: `fields` by PlexItem attribute, `tags` by tag kind."""

    fields: dict[str, object] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)

    @property
    def locks(self) -> set[str]:
        """Every field written is locked (SPEC §2.5)."""
        return {LOCK_NAMES[name] for name in (*self.fields, *self.tags)}


# Unicode category Cc is exactly these two ranges.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_BREAKS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_name(name: str) -> str:
    """Control characters (NUL included) removed, then cut to 255 characters."""
    return _CONTROL.sub("", name)[:MAX_NAME]


def clean_text(text: str) -> str:
    """Control characters removed except line breaks and tabs, cut to 10,000 characters."""
    return _CONTROL_BUT_BREAKS.sub("", text)[:MAX_SUMMARY]


def desired_item(scene: StashScene, stash: StashLibrary) -> DesiredItem:
    """What SPEC §2.5 writes for `scene` on a first push with default settings."""
    out = DesiredItem()
    if scene.title:
        out.fields["title"] = clean_name(scene.title)
    if scene.details:
        out.fields["summary"] = clean_text(scene.details)
    if scene.date:
        out.fields["year"] = int(scene.date[:4])
        if len(scene.date) == 10:
            out.fields["originally_available_at"] = scene.date
        elif len(scene.date) == 7:
            out.fields["originally_available_at"] = scene.date + "-01"
    if scene.rating100 is not None:
        out.fields["user_rating"] = scene.rating100 / 10
    studio = stash.studios.get(scene.studio_id) if scene.studio_id else None
    if studio:
        out.fields["studio"] = clean_name(studio.name)
    actors = _names(stash.performers[pid].name for pid in scene.performer_ids)
    genres = _names(stash.tags[tid].name for tid in scene.tag_ids)
    collections: list[str] = []
    if studio:
        collections.append(studio.name)
        parent = stash.studios.get(studio.parent_id) if studio.parent_id else None
        if parent:
            collections.append(parent.name)
    collections.extend(stash.groups[gid].name for gid, _index in scene.groups)
    for kind, names in (
        ("actor", actors),
        ("genre", genres),
        ("collection", _names(collections)),
    ):
        if names:
            out.tags[kind] = names
    return out


def _names(raw: Iterable[str]) -> list[str]:
    """Cleaned, case-insensitively de-duplicated (Plex tags are), first 200, in order."""
    seen: set[str] = set()
    names: list[str] = []
    for name in raw:
        cleaned = clean_name(name)
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            names.append(cleaned)
    return names[:MAX_TAGS]
