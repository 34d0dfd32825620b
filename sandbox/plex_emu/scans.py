"""Library scans of the Plex emulator: path matching, scheduling, completion, item creation.

A scan request marks its section `refreshing`; when it completes (at once, after a delay, or on
`run_scans()`), every registered disk file under its path that is not yet an item of the section
becomes a new item with a fresh ratingKey, as the Plex scanners do for unmatched files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sandbox.model import PlexItem, PlexMedia, PlexPart, PlexSection
from sandbox.plex_emu.edits import agent_refresh
from sandbox.plex_emu.state import PlexState, ScanEvent, ScanRequest

_YEAR = re.compile(r"\((\d{4})\)")
_CONTAINERS = {"ts": "mpegts", "mts": "mpegts", "m2ts": "mpegts", "m4v": "mp4"}
DEFAULT_PART_SIZE = 1_000_000


def norm_path(path: str, windows: bool) -> str:
    """Comparison form: Windows-style sections compare case-insensitively (backslashes only:
    plex.md says scan paths must be in Plex's own syntax, so "/" there is a client bug)."""
    return path.casefold() if windows else path


def is_under(path: str, folder: str, windows: bool) -> bool:
    sep = "\\" if windows else "/"
    p, f = norm_path(path, windows), norm_path(folder, windows)
    if p == f:
        return True
    prefix = f if f.endswith(sep) else f + sep
    return p.startswith(prefix)


def in_section(section: PlexSection, path: str) -> bool:
    return any(is_under(path, loc, section.windows_style) for loc in section.locations)


def _basename(path: str, windows: bool) -> str:
    if windows:
        path = path.replace("\\", "/")
    return path.rsplit("/", 1)[-1]


def title_and_year(path: str, windows: bool) -> tuple[str, int | None]:
    """What a scanner makes of a file name: stem without "(YYYY)", and that year."""
    stem = _basename(path, windows)
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    match = _YEAR.search(stem)
    if match is None:
        return stem, None
    title = (stem[: match.start()] + stem[match.end() :]).strip()
    return title or stem, int(match[1])


def container_of(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else "mkv"
    return _CONTAINERS.get(ext, ext)


def create_item(
    state: PlexState,
    section: PlexSection,
    media_files: list[list[str]],
    *,
    sizes: dict[str, int] | None = None,
    rating_key: int | None = None,
    media_ids: list[int] | None = None,
    part_ids: list[int] | None = None,
    guids: Iterable[str] = (),
    **fields: object,
) -> PlexItem:
    """Build, register and return a new item; ids come from the library unless given."""
    lib = state.library
    sizes = sizes or {}
    media_id_iter = iter(media_ids or [])
    part_id_iter = iter(part_ids or [])
    media = []
    for files in media_files:
        parts = [
            PlexPart(
                id=next(part_id_iter, None) or lib.allocate_part_id(),
                file=f,
                size=sizes.get(f, lib.disk_files.get(f, DEFAULT_PART_SIZE)),
            )
            for f in files
        ]
        media.append(
            PlexMedia(
                id=next(media_id_iter, None) or lib.allocate_media_id(),
                parts=parts,
                container=container_of(files[0]) if files else "mkv",
            )
        )
    if rating_key is None:
        rating_key = lib.allocate_rating_key()
    elif rating_key >= lib.next_rating_key:
        lib.next_rating_key = rating_key + 1
    now = state.now()
    first = media_files[0][0] if media_files and media_files[0] else ""
    title, year = title_and_year(first, section.windows_style)
    values: dict[str, object] = {"title": title, "year": year, "guid": f"local://{rating_key}"}
    values.update(fields)
    values.setdefault("added_at", now)
    values.setdefault("updated_at", values["added_at"])
    item = PlexItem(rating_key=rating_key, section_id=section.id, media=media, **values)
    lib.items[rating_key] = item
    guids = list(guids)
    if guids:
        state.guids[rating_key] = guids
    state.register_item_tags(item)
    state.invalidate(section.id)
    return item


def delete_item(state: PlexState, rating_key: int) -> None:
    item = state.library.items.pop(rating_key, None)
    if item is not None:
        state.invalidate(item.section_id)
        state.guids.pop(rating_key, None)
        state.role_extras.pop(rating_key, None)


def request_scan(
    state: PlexState, sections: list[PlexSection], path: str | None, force: bool
) -> bool:
    """Queue scans; a `path` outside every location of a section is a logged no-op."""
    delay = state.modes.scan_delay_s
    due = float("inf") if delay is None else state.clock() + delay
    accepted = False
    for section in sections:
        ok = path is None or in_section(section, path)
        state.scan_events.append(ScanEvent(section.id, path, ok))
        if not ok:
            continue
        accepted = True
        state.pending_scans.append(ScanRequest(section.id, path, due, force))
        section.refreshing = True
    if delay == 0:
        process_scans(state)
    return accepted


def cancel_scans(state: PlexState, section: PlexSection) -> None:
    state.pending_scans = [s for s in state.pending_scans if s.section_id != section.id]
    section.refreshing = False


def next_due(state: PlexState) -> float | None:
    dues = [s.due_at for s in state.pending_scans if s.due_at != float("inf")]
    return min(dues) if dues else None


def process_scans(
    state: PlexState, *, everything: bool = False, due_by: float | None = None
) -> int:
    """Complete scans due by `due_by` (default: now; all with `everything`); items created."""
    if state.modes.scans_stall or not state.pending_scans:
        return 0
    now = state.clock() if due_by is None else due_by
    due = [s for s in state.pending_scans if everything or s.due_at <= now]
    if not due:
        return 0
    state.pending_scans = [s for s in state.pending_scans if s not in due]
    created = 0
    for scan in due:
        created += _run_scan(state, scan)
    still = {s.section_id for s in state.pending_scans}
    for section_id in {s.section_id for s in due}:
        section = state.library.sections.get(section_id)
        if section is not None:
            section.refreshing = section_id in still
            section.scanned_at = state.now()
    return created


def _section_files(state: PlexState, section: PlexSection) -> set[str]:
    windows = section.windows_style
    return {
        norm_path(f, windows)
        for item in state.library.items.values()
        if item.section_id == section.id
        for f in item.files()
    }


def _run_scan(state: PlexState, scan: ScanRequest) -> int:
    section = state.library.sections.get(scan.section_id)
    if section is None:
        return 0
    windows = section.windows_style
    scope = [scan.path] if scan.path is not None else list(section.locations)
    cache: dict[int, set[str]] = {section.id: _section_files(state, section)}
    known = cache[section.id]
    created = 0
    for path in sorted(state.library.disk_files):
        if not in_section(section, path) or not any(is_under(path, s, windows) for s in scope):
            continue
        if norm_path(path, windows) in known:
            continue
        create_item(state, section, [[path]])
        known.add(norm_path(path, windows))
        created += 1
        forget_scanned(state, path, cache)
    if state.modes.remove_missing_on_scan:
        for item in [i for i in state.library.items.values() if i.section_id == section.id]:
            files = item.files()
            in_scope = all(any(is_under(f, s, windows) for s in scope) for f in files)
            if files and in_scope and all(f in state.missing_files for f in files):
                delete_item(state, item.rating_key)
    if scan.force:
        for item in [i for i in state.library.items.values() if i.section_id == section.id]:
            agent_refresh(state, item)
    for event in reversed(state.scan_events):
        if event.section_id == section.id and event.path == scan.path and event.accepted:
            event.created += created
            break
    return created


def forget_scanned(state: PlexState, path: str, cache: dict[int, set[str]]) -> None:
    """`disk_files` holds files not scanned yet: drop one once every section has it."""
    for section in state.library.sections.values():
        if not in_section(section, path):
            continue
        if section.id not in cache:
            cache[section.id] = _section_files(state, section)
        if norm_path(path, section.windows_style) not in cache[section.id]:
            return
    state.library.disk_files.pop(path, None)
