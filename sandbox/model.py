"""Plain data both emulators serve and the library generator produces.

The Stash side mirrors what Stash stores (scenes, files, studios, ...); the Plex side mirrors
what a Plex Media Server stores (sections, items, media parts, tags, locks, images). Emulators
own behaviour; these classes own nothing but data, so the generator and tests can build them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

# ---------------------------------------------------------------------------------------------
# Stash side
# ---------------------------------------------------------------------------------------------


@dataclass
class StashStudio:
    id: int
    name: str
    parent_id: int | None = None
    image: bytes | None = None  # None: Stash serves its default placeholder
    updated_at: datetime | None = None


@dataclass
class StashPerformer:
    id: int
    name: str
    image: bytes | None = None
    updated_at: datetime | None = None


@dataclass
class StashTag:
    id: int
    name: str
    updated_at: datetime | None = None


@dataclass
class StashGroup:
    id: int
    name: str
    updated_at: datetime | None = None


@dataclass
class StashFile:
    """One video file of a scene. `path` is the full path in the Stash host's own syntax."""

    id: int
    path: str
    size: int
    duration: float = 600.0


@dataclass
class StashScene:
    id: int
    files: list[StashFile]  # primary file first; may be empty
    created_at: datetime  # timezone-aware
    updated_at: datetime  # timezone-aware
    title: str | None = None
    details: str | None = None
    date: str | None = None  # "YYYY-MM-DD", "YYYY-MM" or "YYYY"
    rating100: int | None = None
    organized: bool = False
    studio_id: int | None = None
    performer_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    groups: list[tuple[int, int | None]] = field(default_factory=list)  # (group id, scene_index)
    urls: list[str] = field(default_factory=list)
    cover: bytes | None = None  # None: the screenshot route serves the default SVG


@dataclass
class StashLibrary:
    """Everything one emulated Stash instance stores. Guard mutations with `lock`."""

    scenes: dict[int, StashScene] = field(default_factory=dict)
    studios: dict[int, StashStudio] = field(default_factory=dict)
    performers: dict[int, StashPerformer] = field(default_factory=dict)
    tags: dict[int, StashTag] = field(default_factory=dict)
    groups: dict[int, StashGroup] = field(default_factory=dict)
    plugin_settings: dict[str, dict[str, object]] = field(default_factory=dict)
    api_key: str = ""  # "" = no API key generated
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)


# ---------------------------------------------------------------------------------------------
# Plex side
# ---------------------------------------------------------------------------------------------

# Plex tag element names, keyed by the edit-parameter name plexapi uses.
PLEX_TAG_ELEMENTS: dict[str, str] = {
    "genre": "Genre",
    "actor": "Role",
    "collection": "Collection",
    "label": "Label",
    "director": "Director",
    "writer": "Writer",
    "producer": "Producer",
    "country": "Country",
}


@dataclass
class PlexPart:
    id: int
    file: str  # in the Plex host's own path syntax
    size: int
    duration: int = 600_000  # milliseconds


@dataclass
class PlexMedia:
    id: int
    parts: list[PlexPart]
    duration: int = 600_000
    container: str = "mp4"
    # Plex's own optimized version ("Optimize..." in Plex Web): set as in the real listing
    # fixtures/plex/section-all-home-videos.xml (proxyType="42", target="Optimized for Mobile").
    proxy_type: int | None = None
    target: str | None = None


@dataclass
class PlexImage:
    """A poster or background resource attached to an item."""

    rating_key: str  # e.g. "upload://posters/<sha1>" or "media://..."
    data: bytes | None = None
    url: str | None = None  # set when uploaded with ?url=
    provider: str = ""


@dataclass
class PlexItem:
    rating_key: int
    section_id: int
    title: str
    media: list[PlexMedia]
    added_at: int  # epoch seconds
    updated_at: int
    title_sort: str | None = None
    original_title: str | None = None
    summary: str | None = None
    tagline: str | None = None
    studio: str | None = None
    year: int | None = None
    originally_available_at: str | None = None  # YYYY-MM-DD
    content_rating: str | None = None
    user_rating: float | None = None
    rating: float | None = None
    audience_rating: float | None = None
    edition_title: str | None = None
    guid: str | None = None
    # tag kind (key of PLEX_TAG_ELEMENTS) -> names, in Plex's order
    tags: dict[str, list[str]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)  # field names with <Field locked="1">
    posters: list[PlexImage] = field(default_factory=list)
    arts: list[PlexImage] = field(default_factory=list)
    selected_poster: str | None = None  # rating_key of the selected PlexImage
    selected_art: str | None = None
    thumb: str | None = None  # "/library/metadata/{rk}/thumb/{ts}"
    art: str | None = None
    # Values a simulated agent refresh writes back into unlocked fields.
    agent_values: dict[str, object] = field(default_factory=dict)

    def files(self) -> list[str]:
        return [part.file for media in self.media for part in media.parts]


@dataclass
class PlexSection:
    id: int
    title: str
    locations: list[str]
    type: str = "movie"
    agent: str = "tv.plex.agents.movie"
    scanner: str = "Plex Movie"
    language: str = "en-US"
    uuid: str = ""
    refreshing: bool = False
    created_at: int = 1_600_000_000
    updated_at: int = 1_600_000_000
    scanned_at: int = 1_600_000_000

    @property
    def windows_style(self) -> bool:
        """True when the section's locations use drive letters or UNC paths."""
        return any(
            loc.startswith("\\\\") or (len(loc) >= 2 and loc[1] == ":") for loc in self.locations
        )


@dataclass
class PlexLibrary:
    """Everything one emulated Plex Media Server stores. Guard mutations with `lock`."""

    sections: dict[int, PlexSection] = field(default_factory=dict)
    items: dict[int, PlexItem] = field(default_factory=dict)
    # Files present on the Plex host's disk but not scanned yet: path -> size in bytes.
    disk_files: dict[str, int] = field(default_factory=dict)
    next_rating_key: int = 1
    next_media_id: int = 1
    next_part_id: int = 1
    machine_identifier: str = "sandbox0000000000000000000000000000000000"
    version: str = "1.41.3.9314-a0bfb8370"
    friendly_name: str = "Stash2Plex Sandbox"
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def allocate_rating_key(self) -> int:
        with self.lock:
            key = self.next_rating_key
            self.next_rating_key += 1
            return key

    def allocate_media_id(self) -> int:
        with self.lock:
            key = self.next_media_id
            self.next_media_id += 1
            return key

    def allocate_part_id(self) -> int:
        with self.lock:
            key = self.next_part_id
            self.next_part_id += 1
            return key
