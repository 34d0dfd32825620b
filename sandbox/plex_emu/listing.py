"""Read routes of the Plex emulator: section listings (`/all`) and full items (`/metadata`).

Listings page like PMS (X-Plex-Container-* headers or query, query wins), filter by type and
title, truncate tags; per request the work is O(page) thanks to the per-section sort cache.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.httpd import Request
from sandbox.model import PlexItem, PlexSection
from sandbox.plex_emu import activity
from sandbox.plex_emu.render import (
    IDENTIFIER,
    MEDIA_TAG_PREFIX,
    MEDIA_TAG_VERSION,
    VideoOptions,
    document,
    render_video,
    section_resources,
)
from sandbox.plex_emu.state import PlexState, section_uuid

MOVIE_TYPE = "1"

# `sort=<field>[:asc|:desc][,<field>...]` on `/all`, as PMS accepts it (plexapi's
# `recentlyAdded` sends `sort=addedAt:desc`). Ties keep the default titleSort order.
_SORT_FIELDS: dict[str, Callable[[PlexItem], object]] = {
    "titleSort": lambda i: (i.title_sort or i.title).casefold(),
    "title": lambda i: i.title.casefold(),
    "addedAt": lambda i: i.added_at,
    "updatedAt": lambda i: i.updated_at,
    "originallyAvailableAt": lambda i: i.originally_available_at or "",
    "year": lambda i: i.year or 0,
    "rating": lambda i: i.rating or 0.0,
    "audienceRating": lambda i: i.audience_rating or 0.0,
    "userRating": lambda i: i.user_rating or 0.0,
    "contentRating": lambda i: (i.content_rating or "").casefold(),
    "ratingKey": lambda i: i.rating_key,
    "id": lambda i: i.rating_key,
}


class ListingError(Exception):
    """A listing request PMS refuses (answered with `status`)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _sorted(state: PlexState, keys: list[int], raw: str) -> list[int]:
    """`keys` re-sorted by a `sort=` spec; unknown fields are a 400 in strict mode."""
    items = state.library.items
    specs: list[tuple[Callable[[PlexItem], object], bool]] = []
    for part in raw.split(","):
        name, _, direction = part.strip().partition(":")
        getter = _SORT_FIELDS.get(name)
        if getter is None or direction not in ("", "asc", "desc"):
            if state.modes.strict:
                raise ListingError(400, f"unknown sort {part!r}")
            continue
        specs.append((getter, direction == "desc"))
    ordered = list(keys)
    for getter, descending in reversed(specs):  # stable sorts, least significant first
        ordered.sort(key=lambda k, g=getter: g(items[k]), reverse=descending)  # type: ignore[misc]
    return ordered


def _int_or_none(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return max(int(raw), 0)
    except ValueError:
        return None


def container_window(request: Request) -> tuple[int, int | None, bool]:
    """(start, size, paged): the query parameter wins over the header of the same name."""
    start = _int_or_none(request.param("X-Plex-Container-Start"))
    if start is None:
        start = _int_or_none(request.header("X-Plex-Container-Start"))
    size = _int_or_none(request.param("X-Plex-Container-Size"))
    if size is None:
        size = _int_or_none(request.header("X-Plex-Container-Size"))
    paged = start is not None or size is not None
    return start or 0, size, paged


def _csv(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _filtered_keys(state: PlexState, section: PlexSection, request: Request) -> list[int]:
    keys = state.section_keys(section.id)
    libtype = request.param("type")
    if libtype not in (None, "", MOVIE_TYPE) or section.type != "movie":
        return []
    title = request.param("title")
    if title:
        needle = title.casefold()
        items = state.library.items
        keys = [k for k in keys if needle in items[k].title.casefold()]
    keys = activity.filter_keys(state, keys, request)
    sort = request.param("sort")
    if sort and not state.modes.ignore_sort:
        keys = _sorted(state, keys, sort)
    limit = _int_or_none(request.param("limit"))
    if limit is not None:
        keys = keys[:limit]
    return keys


def list_section(state: PlexState, section: PlexSection, request: Request) -> tuple[bytes, int]:
    """Body of `GET /library/sections/{id}/all` and the number of items it carries.

    Raises `ListingError` for a request PMS refuses (an unknown `sort` field in strict mode).
    """
    keys = _filtered_keys(state, section, request)
    total = len(keys)
    start, size, paged = container_window(request)
    if paged:
        end = total if size is None else start + size
        page = keys[start:end]
        if state.modes.short_page is not None:
            page = page[: state.modes.short_page]
    else:
        page = keys
    modes = state.modes
    opts = VideoOptions(
        full=False,
        include_guids=request.param("includeGuids") == "1",
        exclude_fields=_csv(request.param("excludeFields")),
        exclude_elements=_csv(request.param("excludeElements")),
        tag_limits=modes.listing_tag_limits,
        include_fields=modes.listing_includes_fields,
    )
    items = state.library.items
    children = [render_video(items[k], section, state, opts) for k in page]
    art, thumb = section_resources(section)
    pairs: list[tuple[str, object]] = [
        ("size", len(page)),
        ("totalSize", total if paged and not modes.omit_total_size else None),
        ("allowSync", True),
        ("art", art),
        ("identifier", IDENTIFIER),
        ("librarySectionID", section.id),
        ("librarySectionTitle", section.title),
        ("librarySectionUUID", section_uuid(section)),
        ("mediaTagPrefix", MEDIA_TAG_PREFIX),
        ("mediaTagVersion", MEDIA_TAG_VERSION),
        ("offset", start if paged else None),
        ("sortAsc", True),
        ("thumb", thumb),
        ("title1", section.title),
        ("title2", f"All {section.title}"),
        ("viewGroup", "movie"),
        ("viewMode", 131624),
    ]
    return document(pairs, children), len(page)


def parse_keys(raw: str) -> list[int] | None:
    """Rating keys of `/library/metadata/{k1,k2,...}`; None when the segment is malformed."""
    keys: list[int] = []
    for part in raw.split(","):
        if not part.strip().isdigit():
            return None
        keys.append(int(part))
    return keys


def fetch_items(state: PlexState, keys: list[int], request: Request) -> bytes | None:
    """Body of `GET /library/metadata/{keys}`; None when no key is known (404).

    Unknown keys among known ones are skipped (PMS behaviour unverified). Container paging is
    ignored here: plexapi asks for at most 100 keys per page and stops on `size`.
    """
    seen: set[int] = set()
    found: list[PlexItem] = []
    for key in keys:
        item = state.library.items.get(key)
        if item is not None and key not in seen:
            seen.add(key)
            found.append(item)
    if not found or (state.modes.mixed_key_404 and len(seen) < len(set(keys))):
        return None
    sections = state.library.sections
    opts = VideoOptions(
        full=True,
        exclude_fields=_csv(request.param("excludeFields")),
        exclude_elements=_csv(request.param("excludeElements")),
    )
    children = [render_video(i, sections.get(i.section_id), state, opts) for i in found]
    section_ids = {i.section_id for i in found}
    section = sections.get(found[0].section_id) if len(section_ids) == 1 else None
    pairs: list[tuple[str, object]] = [
        ("size", len(found)),
        ("allowSync", True),
        ("identifier", IDENTIFIER),
        ("librarySectionID", section.id if section else None),
        ("librarySectionTitle", section.title if section else None),
        ("librarySectionUUID", section_uuid(section) if section else None),
        ("mediaTagPrefix", MEDIA_TAG_PREFIX),
        ("mediaTagVersion", MEDIA_TAG_VERSION),
    ]
    return document(pairs, children)
