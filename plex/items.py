"""Plain data read from Plex XML: sections, full items, listing items, server identity.

The parse functions take ElementTree elements of raw PMS answers and return frozen
dataclasses; nothing here holds a plexapi object, so reading an attribute never costs a
request. `PlexItemSnapshot.to_state()` feeds `plex.diff`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from plex.diff import PlexItemState, normalize_plex_value
from plex.paths import PathStyle, detect_style
from validation.fingerprint import fingerprint_value

__all__ = [
    "SNAPSHOT_FIELDS",
    "ListedItem",
    "ListingPage",
    "PartFile",
    "PlexItemSnapshot",
    "SectionInfo",
    "ServerIdentity",
    "ServerInfo",
    "is_optimized",
    "parse_identity",
    "parse_items",
    "parse_listing_page",
    "parse_sections",
    "parse_server",
]

# Scalar fields the sync writes, by Plex name (attribute names of <Video>).
SNAPSHOT_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "originallyAvailableAt",
    "year",
    "userRating",
    "studio",
    "contentRating",
)
# Tag kinds (edit names) -> element names in the full item.
_TAG_ELEMENTS = {"genre": "Genre", "actor": "Role", "collection": "Collection", "label": "Label"}


def _int(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        try:
            return int(float(raw))
        except ValueError:
            return None


def _float(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _bool(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true")


@dataclass(frozen=True)
class ServerIdentity:
    """`GET /identity` (answered without a token): the cheap "is Plex up" probe."""

    machine_identifier: str
    version: str
    claimed: bool


@dataclass(frozen=True)
class ServerInfo:
    """`GET /` as plexapi reads it at connect time (token checked)."""

    machine_identifier: str
    version: str
    platform: str
    friendly_name: str


@dataclass(frozen=True)
class SectionInfo:
    """One library section and its `Location` paths in Plex's own syntax."""

    id: int
    title: str
    type: str
    locations: tuple[str, ...]
    agent: str = ""
    scanner: str = ""
    language: str = ""
    uuid: str = ""
    refreshing: bool = False

    @property
    def is_movie(self) -> bool:
        """Movie-type sections, which include "Other Videos" (agent none)."""
        return self.type == "movie"

    def style(self, platform: str | None = None) -> PathStyle:
        """How this section spells paths: the one place the per-section style is decided."""
        return detect_style(self.locations, platform)


@dataclass(frozen=True)
class PartFile:
    """One Media/Part of an item: its file in Plex's form and size in bytes."""

    file: str
    size: int | None = None


@dataclass(frozen=True)
class PlexItemSnapshot:
    """A full Plex item (`GET /library/metadata/{rk}`) as plain data; `files` are the
    original Media's parts only (Plex's optimized versions are not the item's files)."""

    rating_key: int
    section_id: int
    title: str | None = None
    summary: str | None = None
    originally_available_at: str | None = None
    year: int | None = None
    user_rating: float | None = None
    studio: str | None = None
    content_rating: str | None = None
    genres: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    locked: frozenset[str] = frozenset()
    files: tuple[PartFile, ...] = ()
    thumb: str | None = None
    art: str | None = None
    guid: str | None = None
    added_at: int | None = None
    updated_at: int | None = None

    def field_values(self) -> dict[str, object]:
        """Scalar values by Plex field name (None = no value)."""
        return {
            "title": self.title,
            "summary": self.summary,
            "originallyAvailableAt": self.originally_available_at,
            "year": self.year,
            "userRating": self.user_rating,
            "studio": self.studio,
            "contentRating": self.content_rating,
        }

    def tags(self) -> dict[str, tuple[str, ...]]:
        """Complete tag lists by edit name (`genre`, `actor`, `collection`, `label`)."""
        return {
            "genre": self.genres,
            "actor": self.actors,
            "collection": self.collections,
            "label": self.labels,
        }

    def to_state(self) -> PlexItemState:
        """The input `plex.diff.diff_item` expects (selected images unknown from this XML)."""
        return PlexItemState(
            rating_key=self.rating_key,
            section_id=self.section_id,
            fields=self.field_values(),
            tags=self.tags(),
            locked=self.locked,
        )


@dataclass(frozen=True)
class ListedItem:
    """A listing `<Video>` reduced to what the path index keeps (plex.md §6, §7).

    Tag names are the listing's truncated lists: enough to tell "has at least one".
    """

    rating_key: int
    files: tuple[PartFile, ...]
    added_at: int
    updated_at: int
    title: str = ""
    studio: str | None = None
    summary_head: str | None = None
    originally_available_at: str | None = None
    year: int | None = None
    content_rating: str | None = None
    genres: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    # Kept for Plex-side drift (reconcile_verify_plex): the whole summary as a fingerprint
    # (validation.fingerprint, as plex.diff computes it) and the user rating.
    summary_fp: str | None = None
    user_rating: float | None = None
    # Parts of Plex's own optimized versions: never matched, remembered so a Stash scene of
    # such a file is reported as what it is.
    optimized: tuple[PartFile, ...] = ()


@dataclass(frozen=True)
class ListingPage:
    """One page of `GET /library/sections/{id}/all`."""

    section_id: int
    offset: int
    total_size: int | None  # None: the server omitted totalSize
    items: list[ListedItem] = field(default_factory=list)


def parse_identity(root: ET.Element) -> ServerIdentity:
    return ServerIdentity(
        machine_identifier=root.get("machineIdentifier", ""),
        version=root.get("version", ""),
        claimed=_bool(root.get("claimed")),
    )


def parse_server(root: ET.Element) -> ServerInfo:
    return ServerInfo(
        machine_identifier=root.get("machineIdentifier", ""),
        version=root.get("version", ""),
        platform=root.get("platform", ""),
        friendly_name=root.get("friendlyName", ""),
    )


def parse_sections(root: ET.Element) -> list[SectionInfo]:
    """Every `Directory` of `GET /library/sections`, in server order."""
    sections: list[SectionInfo] = []
    for directory in root.iter("Directory"):
        key = _int(directory.get("key"))
        if key is None:
            continue
        sections.append(
            SectionInfo(
                id=key,
                title=directory.get("title", ""),
                type=directory.get("type", ""),
                locations=tuple(
                    loc.get("path", "") for loc in directory.iter("Location") if loc.get("path")
                ),
                agent=directory.get("agent", ""),
                scanner=directory.get("scanner", ""),
                language=directory.get("language", ""),
                uuid=directory.get("uuid", ""),
                refreshing=_bool(directory.get("refreshing")),
            )
        )
    return sections


def is_optimized(media: ET.Element) -> bool:
    """A Media Plex made itself (an optimized or converted version): `proxyType` or `target`
    set, as in the real listing `fixtures/plex/section-all-home-videos.xml` (proxyType="42",
    target="Optimized for Mobile") and plexapi's `Media.proxyType` / `Media.target`."""
    return bool(media.get("proxyType") or media.get("target"))


def _parts(video: ET.Element, *, optimized: bool = False) -> tuple[PartFile, ...]:
    """The Parts of the item's original Media (or, with `optimized`, of Plex's own versions
    only): only an original file is the item's for matching (docs/plex-side.md)."""
    return tuple(
        PartFile(part.get("file", ""), _int(part.get("size")))
        for media in video.iter("Media")
        if is_optimized(media) == optimized
        for part in media.iter("Part")
        if part.get("file")
    )


def _tag_names(video: ET.Element, element: str) -> tuple[str, ...]:
    return tuple(tag.get("tag", "") for tag in video.findall(element) if tag.get("tag"))


def _text(raw: str | None) -> str | None:
    return raw if raw else None


def parse_items(root: ET.Element) -> list[PlexItemSnapshot]:
    """Every `<Video>` of a `/library/metadata/{keys}` answer."""
    container_section = _int(root.get("librarySectionID"))
    snapshots: list[PlexItemSnapshot] = []
    for video in root.findall("Video"):
        rating_key = _int(video.get("ratingKey"))
        if rating_key is None:
            continue
        section_id = _int(video.get("librarySectionID")) or container_section or 0
        locked = frozenset(
            f.get("name", "")
            for f in video.findall("Field")
            if f.get("name") and f.get("locked", "1") in ("1", "true")
        )
        snapshots.append(
            PlexItemSnapshot(
                rating_key=rating_key,
                section_id=section_id,
                title=_text(video.get("title")),
                summary=_text(video.get("summary")),
                originally_available_at=_text(video.get("originallyAvailableAt")),
                year=_int(video.get("year")),
                user_rating=_float(video.get("userRating")),
                studio=_text(video.get("studio")),
                content_rating=_text(video.get("contentRating")),
                genres=_tag_names(video, _TAG_ELEMENTS["genre"]),
                actors=_tag_names(video, _TAG_ELEMENTS["actor"]),
                collections=_tag_names(video, _TAG_ELEMENTS["collection"]),
                labels=_tag_names(video, _TAG_ELEMENTS["label"]),
                locked=locked,
                files=_parts(video),
                thumb=_text(video.get("thumb")),
                art=_text(video.get("art")),
                guid=_text(video.get("guid")),
                added_at=_int(video.get("addedAt")),
                updated_at=_int(video.get("updatedAt")),
            )
        )
    return snapshots


SUMMARY_HEAD_CHARS = 120  # enough to judge "has a summary" without storing 10,000 characters


def parse_listing_page(root: ET.Element, section_id: int, offset: int) -> ListingPage:
    """A listing page; items without a ratingKey are skipped."""
    items: list[ListedItem] = []
    for video in root.iter("Video"):
        rating_key = _int(video.get("ratingKey"))
        if rating_key is None:
            continue
        raw_summary = _text(video.get("summary"))
        summary = (raw_summary or "").strip()
        items.append(
            ListedItem(
                rating_key=rating_key,
                files=_parts(video),
                added_at=_int(video.get("addedAt")) or 0,
                updated_at=_int(video.get("updatedAt")) or _int(video.get("addedAt")) or 0,
                title=video.get("title", ""),
                studio=_text(video.get("studio")),
                summary_head=summary[:SUMMARY_HEAD_CHARS] or None,
                originally_available_at=_text(video.get("originallyAvailableAt")),
                year=_int(video.get("year")),
                content_rating=_text(video.get("contentRating")),
                genres=_tag_names(video, "Genre"),
                actors=_tag_names(video, "Role"),
                collections=_tag_names(video, "Collection"),
                summary_fp=fingerprint_value(normalize_plex_value("summary", raw_summary)),
                user_rating=_float(video.get("userRating")),
                optimized=_parts(video, optimized=True),
            )
        )
    return ListingPage(
        section_id=section_id,
        offset=_int(root.get("offset")) or offset,
        total_size=_int(root.get("totalSize")),
        items=items,
    )
