"""Emulator-side state of the Plex emulator: behaviour modes and what PMS keeps beside the model.

`PlexModes` holds every Plex-specific switch; `PlexState` adds tag ids, actor extras, external
guids, location ids, the per-section sort cache, pending scans and the clock to a `PlexLibrary`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.model import PlexItem, PlexLibrary, PlexSection

# Listing truncation per tag element (PMS sends the first few tags per type in /all).
DEFAULT_LISTING_TAG_LIMITS: dict[str, int] = {
    "Genre": 2,
    "Director": 2,
    "Writer": 2,
    "Country": 2,
    "Collection": 2,
    "Role": 3,
    "Producer": 2,
    "Label": 0,  # unverified whether PMS lists labels: treated as full-item-only
}


@dataclass
class PlexModes:
    """Plex-specific behaviour switches (transport faults live in `sandbox.httpd.Knobs`)."""

    strict: bool = True  # 400 for missing `type` and unknown edit fields
    tag_add_mode: str = "append"  # "append" | "replace" for `<t>[i].tag.tag=` adds
    capitalize_new_tags: bool = False  # a tag new to the server gets its first letter upper-cased
    removes_before_adds: bool = False  # default order inside one PUT: adds, then removes
    edit_silently_ignored: bool = False  # edits answer 200 and change nothing
    listing_tag_limits: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_LISTING_TAG_LIMITS)
    )
    listing_includes_fields: bool = False  # `<Field>` locks in /all listings
    omit_total_size: bool = False  # paged listings without totalSize (plexapi stops after page 1)
    short_page: int | None = None  # paged listings return at most this many items per page
    per_item_latency_s: float = 0.0  # extra listing latency per returned item
    scan_delay_s: float | None = None  # None: scans finish only on run_scans(); 0: at once
    scans_stall: bool = False  # scans never complete (refreshing stays 1)
    remove_missing_on_scan: bool = False  # a scan drops items whose files all vanished
    agent_refresh: bool = True  # item refresh resets unlocked fields to item.agent_values
    fetch_upload_urls: bool = False  # `?url=` uploads fetch loopback URLs like PMS would
    # A multi-key fetch answers 404 as a whole when any key is unknown (reference/plex.md says
    # Plex returns the items it found; this models the other answer, docs/sandbox-plex.md).
    mixed_key_404: bool = False
    # Listings ignore `sort=` and keep the default order (docs/sandbox-plex.md).
    ignore_sort: bool = False
    # Per-item / per-field refusal (issue 15): {(ratingKey or None, edit name or None):
    # status}; an edit PUT touching that name on that item (None: any) answers the status and
    # changes nothing; image uploads use the names `poster` and `art`. See refused_status.
    refuse_edits: dict[tuple[int | None, str | None], int] = field(default_factory=dict)
    # Plex's value normalisation (issue 15; plex.md is silent, see docs/sandbox-plex.md):
    # year derived from the date, no `year` lock reported, ratings rounded to whole numbers.
    normalise_values: bool = False
    unapplied_uploads: int = 0  # the next N uploads answer 200 but select nothing


@dataclass
class ScanRequest:
    section_id: int
    path: str | None  # None: the whole section
    due_at: float  # clock time
    force: bool = False  # also re-run the simulated agent on every item


@dataclass
class ScanEvent:
    """One scan request as PMS saw it (for tests of "outside every location")."""

    section_id: int
    path: str | None
    accepted: bool
    created: int = 0  # items created when it completed


@dataclass
class TagEntry:
    id: int
    name: str  # canonical (first-seen) casing


@dataclass
class PlexState:
    library: PlexLibrary
    modes: PlexModes = field(default_factory=PlexModes)
    clock: Callable[[], float] = time.time
    platform: str = "Linux"
    platform_version: str = "6.1"
    claimed: bool = True
    tags: dict[tuple[str, str], TagEntry] = field(default_factory=dict)
    next_tag_id: int = 1000
    # rating key -> casefolded actor name -> {"role": ..., "thumb": ...}
    role_extras: dict[int, dict[str, dict[str, str]]] = field(default_factory=dict)
    guids: dict[int, list[str]] = field(default_factory=dict)  # external ids (<Guid id=...>)
    location_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    sorted_keys: dict[int, list[int]] = field(default_factory=dict)
    pending_scans: list[ScanRequest] = field(default_factory=list)
    scan_events: list[ScanEvent] = field(default_factory=list)
    missing_files: set[str] = field(default_factory=set)  # item files deleted from disk
    updated_at: int = 0  # server-level updatedAt
    activity: object = None  # sandbox.plex_emu.activity.Activity, made on first use
    # ratingKey -> sandbox.plex_emu.collections.EmuCollection (issue 19)
    collections: dict[int, Any] = field(default_factory=dict)

    def now(self) -> int:
        return int(self.clock())

    def touch(self, item: PlexItem) -> None:
        """Record a change: updatedAt never moves backwards (same-second edits keep it)."""
        item.updated_at = max(self.now(), item.updated_at)

    def invalidate(self, section_id: int) -> None:
        self.sorted_keys.pop(section_id, None)

    def section_keys(self, section_id: int) -> list[int]:
        """Rating keys of a section sorted like PMS lists them (titleSort, then ratingKey)."""
        keys = self.sorted_keys.get(section_id)
        if keys is None:
            items = [i for i in self.library.items.values() if i.section_id == section_id]
            items.sort(key=lambda i: ((i.title_sort or i.title).casefold(), i.rating_key))
            keys = [i.rating_key for i in items]
            self.sorted_keys[section_id] = keys
        return keys

    def tag(self, kind: str, name: str, *, create_as: str | None = None) -> TagEntry:
        """The server-wide tag for `name` (matched case-insensitively), created if new."""
        key = (kind, name.casefold())
        entry = self.tags.get(key)
        if entry is None:
            entry = TagEntry(self.next_tag_id, create_as if create_as is not None else name)
            self.next_tag_id += 1
            self.tags[key] = entry
        return entry

    def new_tag_name(self, kind: str, name: str) -> str:
        """The name an added tag gets: the existing casing, or the new (maybe capitalised) one."""
        entry = self.tags.get((kind, name.casefold()))
        if entry is not None:
            return entry.name
        created = name
        if self.modes.capitalize_new_tags and name:
            created = name[0].upper() + name[1:]
        return self.tag(kind, name, create_as=created).name

    def register_item_tags(self, item: PlexItem) -> None:
        for kind, names in item.tags.items():
            for name in names:
                self.tag(kind, name)

    def location_id(self, section: PlexSection, path: str) -> int:
        key = (section.id, path)
        if key not in self.location_ids:
            self.location_ids[key] = len(self.location_ids) + 1
        return self.location_ids[key]


def section_uuid(section: PlexSection) -> str:
    return section.uuid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-plex-section-{section.id}"))


def refused_status(modes: PlexModes, rating_keys: list[int], names: set[str]) -> int | None:
    """The status a `refuse_edits` rule answers a write of `names` on `rating_keys`, if any.

    Evidence: the issue behind it (a role edit refused on a clip has been reported; invalid
    data gets a 500 or 400); plex.md is silent on per-field refusals, so the rule only
    decides the status, never a partial edit: PMS's validation of one PUT is all or nothing.
    """
    for (rule_rk, rule_name), status in modes.refuse_edits.items():
        if rule_rk is not None and rule_rk not in rating_keys:
            continue
        if rule_name is not None and rule_name not in names:
            continue
        return status
    return None
