"""The persisted Plex path index: normalised file path -> (section, ratingKey) (SPEC §2.4).

Built from a paged raw listing of each configured section (pages of 2,000, `totalSize`
checked, only the needed fields, plex.md §6), stored in `plex_index.db` and refreshed
incrementally: pages sorted by `updatedAt:desc` until items older than the section's
watermark (typically one request per section). A section is listed in full when it is new or
its locations changed, once a day, on request, or when the incremental pass cannot be trusted
(item count differs from `totalSize`, a page not in `updatedAt:desc` order, or pages that
never reach back to the watermark); the reason goes to one debug line. Deleted items are
dropped by `drop()` after a 404 or by the next full listing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from plex.index_store import IndexStore, ItemSignals, StoredSection, basename_key, path_key
from plex.items import ListedItem, ListingPage, SectionInfo, ServerInfo
from plex.matching import IndexEntry, PathIndexView, SectionLocations
from plex.paths import PathStyle, detect_style

__all__ = [
    "FULL_REFRESH_INTERVAL_S",
    "INCREMENTAL_FIRST_PAGE",
    "PAGE_SIZE",
    "IndexEntry",
    "ItemSignals",
    "ListingSource",
    "PathIndex",
    "RefreshReport",
]

PAGE_SIZE = 2000  # SPEC §2.4
INCREMENTAL_FIRST_PAGE = 200  # an incremental pass usually needs only the newest few items
FULL_REFRESH_INTERVAL_S = 24 * 3600  # SPEC §2.4: a full rebuild at most daily
FULL_SORT = "addedAt"  # new items land on the last page, so paging does not shift under us
INCREMENTAL_SORT = "updatedAt:desc"

_log = logging.getLogger(__name__)


class ListingSource(Protocol):
    """What the index needs from a Plex client (`plex.client.PlexClient` provides it)."""

    server_info: ServerInfo | None

    def sections(self, titles: Sequence[str] | str | None = None) -> list[SectionInfo]: ...

    def list_page(
        self, section_id: int, start: int, size: int, *, sort: str | None = None
    ) -> ListingPage: ...


@dataclass
class RefreshReport:
    """What one `refresh()` did."""

    full_sections: list[int] = field(default_factory=list)
    incremental_sections: list[int] = field(default_factory=list)
    removed_sections: list[int] = field(default_factory=list)
    requests: int = 0  # listing requests (the sections request is not counted here)
    items_listed: int = 0
    items_stored: int = 0
    notes: list[str] = field(default_factory=list)


class PathIndex:
    """Lookups over the persisted index; `refresh()` brings it up to date from Plex.

    Also usable wherever `plex.matching.PathIndexView` is expected (`style`, `key`,
    `name_key`, `by_path`, `by_basename`, `len`), backed by SQLite instead of memory.
    """

    def __init__(self, data_dir: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self._store = IndexStore(data_dir)
        self._clock = clock
        self._sections = self._store.sections()
        self._warned_total = False

    @property
    def path(self) -> Path:
        return self._store.path

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> PathIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sections and styles ------------------------------------------------------------------

    @property
    def sections(self) -> list[SectionInfo]:
        """The indexed sections as last listed (no request)."""
        return [s.info for s in self._sections.values()]

    @property
    def section_locations(self) -> list[SectionLocations]:
        return [SectionLocations(s.info.id, s.info.locations) for s in self._sections.values()]

    @property
    def style(self) -> PathStyle:
        """Server-wide path style (one PMS runs on one OS); per-section styles key the parts."""
        platform = self._store.get_meta("platform")
        locations = [loc for s in self._sections.values() for loc in s.info.locations]
        return detect_style(locations, platform)

    def _styles(self) -> list[PathStyle]:
        styles = list(dict.fromkeys(s.style for s in self._sections.values()))
        return styles or [self.style]

    def key(self, path: str) -> str:
        """Comparison key of a Plex-form path under the server-wide style."""
        return path_key(path, self.style)

    def name_key(self, path: str) -> str:
        return basename_key(path, self.style)

    # -- lookups ------------------------------------------------------------------------------

    def lookup(self, norm_key: str) -> list[IndexEntry]:
        """Parts whose normalised path equals `norm_key` (see `key()`)."""
        return self._store.by_key(norm_key)

    def lookup_basename(self, basename_key: str) -> list[IndexEntry]:
        """Parts whose normalised basename equals `basename_key` (see `name_key()`)."""
        return self._store.by_basename(basename_key)

    def by_path(self, path: str) -> list[IndexEntry]:
        """Parts with this Plex-form path, keyed under each indexed section's own style."""
        if len(self._styles()) == 1:
            return self._store.by_key(path_key(path, self._styles()[0]))
        return self._in_every_style(self._store.by_key, path_key, path)

    def by_basename(self, path: str) -> list[IndexEntry]:
        return self._in_every_style(self._store.by_basename, basename_key, path)

    def optimized_by_path(self, path: str) -> list[IndexEntry]:
        """Parts of Plex's optimized versions with this Plex-form path (`copy_of` set)."""
        return self._in_every_style(self._store.optimized_by_key, path_key, path)

    def _in_every_style(
        self,
        lookup: Callable[[str], list[IndexEntry]],
        keyer: Callable[[str, PathStyle], str],
        path: str,
    ) -> list[IndexEntry]:
        """`lookup` of `path` keyed under each indexed section's style, each part once."""
        found: dict[tuple[int, int, str], IndexEntry] = {}
        for style in self._styles():
            for entry in lookup(keyer(path, style)):
                found[(entry.section_id, entry.rating_key, entry.file)] = entry
        return list(found.values())

    def parts_of(self, rating_key: int) -> list[IndexEntry]:
        return self._store.by_item(rating_key)

    def entries(self) -> Iterator[IndexEntry]:
        """Every indexed original part, ordered by section and ratingKey (streamed from
        SQLite); Plex's optimized versions are left out (`optimized_by_path`)."""
        return self._store.entries()

    def optimized_entries(self) -> Iterator[IndexEntry]:
        """Every part of Plex's optimized versions (`copy_of` set), streamed from SQLite."""
        return self._store.optimized_entries()

    def view(self) -> PathIndexView:
        """An in-memory `PathIndexView` for batch matching (one pass over the parts)."""
        return PathIndexView(self.entries(), self.style, self.optimized_entries())

    def item_signals(self, rating_key: int) -> ItemSignals | None:
        return self._store.signals([rating_key]).get(int(rating_key))

    def signals_for(self, rating_keys: Iterable[int]) -> dict[int, ItemSignals]:
        return self._store.signals(rating_keys)

    def drop(self, rating_key: int) -> bool:
        """Forget an item whose ratingKey answered 404; True when it was indexed."""
        with self._store.transaction():
            return self._store.drop(int(rating_key))

    def __len__(self) -> int:
        return self._store.count()

    # -- refresh ------------------------------------------------------------------------------

    def refresh(
        self,
        client: ListingSource,
        sections: Sequence[SectionInfo] | None = None,
        *,
        full: bool = False,
    ) -> RefreshReport:
        """Bring the index up to date with Plex.

        `sections`: the configured sections (from `client.sections(config.plex_library)`);
        None reuses the ones stored (asking Plex for every movie section when none are).
        Sections no longer configured are forgotten. Raises the client's classified errors;
        a failed section listing leaves that section's previous index untouched.
        """
        report = RefreshReport()
        if client.server_info is not None and client.server_info.platform:
            self._store.set_meta("platform", client.server_info.platform)
        platform = self._store.get_meta("platform")
        if sections is None:
            sections = self.sections or client.sections(None)
        wanted = {s.id: s for s in sections}
        for section_id in [sid for sid in self._sections if sid not in wanted]:
            with self._store.transaction():
                self._store.forget_section(section_id)
            report.removed_sections.append(section_id)
        now = self._clock()
        try:
            for info in wanted.values():
                stored = self._sections.get(info.id)
                style = info.style(platform)
                reason = self._full_reason(info, style, stored, now, full)
                if reason is None and stored is not None:
                    reason = self._incremental(client, info, stored, report)
                    if reason is None:
                        report.incremental_sections.append(info.id)
                if reason is not None:
                    _log.debug("listing Plex section %s in full: %s", info.id, reason)
                    self._full(client, info, style, now, report)
                    report.full_sections.append(info.id)
        finally:
            self._sections = self._store.sections()
        return report

    @staticmethod
    def _full_reason(
        info: SectionInfo,
        style: PathStyle,
        stored: StoredSection | None,
        now: float,
        full: bool,
    ) -> str | None:
        if full:
            return "requested"
        if stored is None:
            return "new section"
        if stored.info.uuid != info.uuid or stored.info.locations != info.locations:
            return "section changed"
        if stored.style != style:
            return "path style changed"
        if now - stored.last_full >= FULL_REFRESH_INTERVAL_S or now < stored.last_full:
            return "daily full listing"
        return None

    def _pages(
        self,
        client: ListingSource,
        section_id: int,
        sort: str,
        first_size: int,
        report: RefreshReport,
    ) -> Iterator[ListingPage]:
        """Pages until `totalSize` is reached (or, without it, a short or empty page)."""
        start, size = 0, first_size
        while True:
            page = client.list_page(section_id, start, size, sort=sort)
            report.requests += 1
            report.items_listed += len(page.items)
            yield page
            count = len(page.items)
            if page.total_size is None:
                if not self._warned_total:
                    self._warned_total = True
                    _log.info("Plex omitted totalSize; paging until a short page")
                if count < size:
                    return
            elif count == 0 or start + count >= page.total_size:
                return
            start += count
            size = PAGE_SIZE

    def _full(
        self,
        client: ListingSource,
        info: SectionInfo,
        style: PathStyle,
        now: float,
        report: RefreshReport,
    ) -> None:
        total: int | None = None
        with self._store.transaction():
            self._store.clear_section(info.id)
            seen: set[int] = set()
            for page in self._pages(client, info.id, FULL_SORT, PAGE_SIZE, report):
                keys = [item.rating_key for item in page.items]
                # An item repeated by a page shift must not keep its parts twice.
                fresh = seen.isdisjoint(keys)
                seen.update(keys)
                self._store.put_items(info.id, page.items, style, fresh=fresh)
                report.items_stored += len(page.items)
                total = page.total_size
            stored = self._store.count(info.id)
            if total is not None and stored != total:
                report.notes.append(
                    f"section {info.id}: {stored} items indexed, Plex reports {total} "
                    "(changed while listing?)"
                )
            self._store.save_section(info, style, self._store.max_updated(info.id), now)

    def _incremental(
        self,
        client: ListingSource,
        info: SectionInfo,
        stored: StoredSection,
        report: RefreshReport,
    ) -> str | None:
        """Items updated since the watermark; a reason for a full listing when untrustworthy.

        Trusted only when every page read is really in `updatedAt:desc` order (a server that
        ignores `sort` sends its default order, whose first items may be old ones) and the
        pages reach back past the watermark, or to the listing's end."""
        changed: list[ListedItem] = []
        total: int | None = None
        previous: int | None = None
        reached = False
        for page in self._pages(client, info.id, INCREMENTAL_SORT, INCREMENTAL_FIRST_PAGE, report):
            total = page.total_size
            for item in page.items:  # the whole page: an old item first proves nothing
                if previous is not None and item.updated_at > previous:
                    return "Plex ignored sort=updatedAt:desc"
                previous = item.updated_at
                if item.updated_at < stored.watermark:
                    reached = True
                elif not reached:
                    changed.append(item)
            if reached:
                break
        if not reached and total is not None and len(changed) < total:
            # The pages ended before the watermark yet hold fewer items than Plex has.
            return "the sorted listing did not reach back to the last refresh"
        with self._store.transaction():
            self._store.put_items(info.id, changed, stored.style, fresh=False)
            report.items_stored += len(changed)
            count = self._store.count(info.id)
            if total is not None and count != total:
                # Deletions (or an item the watermark cannot see) happened: list it all.
                return f"{count} items indexed but Plex reports {total}"
            watermark = max(stored.watermark, self._store.max_updated(info.id))
            self._store.save_section(info, stored.style, watermark, stored.last_full)
        return None
