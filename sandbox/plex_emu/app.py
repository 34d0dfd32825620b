"""The Plex Media Server emulator's control surface: lifecycle, seeding, modes, tokens, scans.

Tests and the generator drive a `PlexEmulator` from Python (never over HTTP); the real plexapi
talks to `emulator.url` with `emulator.token`. Transport faults are `emulator.knobs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sandbox.httpd import Knobs, LoopbackServer, RequestLog
from sandbox.model import PlexItem, PlexLibrary, PlexSection
from sandbox.plex_emu import scans
from sandbox.plex_emu.activity import activity_of
from sandbox.plex_emu.routes import PlexApp
from sandbox.plex_emu.service_time import ServicedApp, ServiceTime
from sandbox.plex_emu.state import PlexModes, PlexState, ScanEvent, ScanRequest
from sandbox.secrets import distinctive, register

OTHER_VIDEOS = {"agent": "tv.plex.agents.none", "scanner": "Plex Video Files", "language": "xn"}


class _Forward:
    """An emulator attribute stored on another object (`modes` or `state`)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.target), self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(getattr(obj, self.target), self.name, value)


class PlexEmulator:
    """A PMS on 127.0.0.1 that the real plexapi uses unchanged. See docs/sandbox-plex.md."""

    # Plex-specific modes (PlexModes); generic transport faults are in `knobs`.
    strict = _Forward("modes")
    tag_add_mode = _Forward("modes")
    capitalize_new_tags = _Forward("modes")
    removes_before_adds = _Forward("modes")
    edit_silently_ignored = _Forward("modes")
    listing_tag_limits = _Forward("modes")
    listing_includes_fields = _Forward("modes")
    omit_total_size = _Forward("modes")
    short_page = _Forward("modes")
    per_item_latency_s = _Forward("modes")
    scan_delay_s = _Forward("modes")
    scans_stall = _Forward("modes")
    remove_missing_on_scan = _Forward("modes")
    agent_refresh = _Forward("modes")
    fetch_upload_urls = _Forward("modes")
    mixed_key_404 = _Forward("modes")
    ignore_sort = _Forward("modes")
    refuse_edits = _Forward("modes")
    normalise_values = _Forward("modes")
    unapplied_uploads = _Forward("modes")
    # Server identity shown on `/` and `/identity`.
    platform = _Forward("state")
    platform_version = _Forward("state")
    claimed = _Forward("state")

    def __init__(
        self,
        library: PlexLibrary | None = None,
        *,
        token: str | None = None,  # None: a fresh distinctive one
        read_only_tokens: set[str] | frozenset[str] = frozenset(),
        strict: bool = True,
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.library = library if library is not None else PlexLibrary()
        self.modes = PlexModes(strict=strict)
        self.state = PlexState(self.library, self.modes, clock=clock)
        self.state.updated_at = self.state.now()
        for item in self.library.items.values():
            self.state.register_item_tags(item)
        token = token or distinctive("PlexToken")
        register(token, *read_only_tokens)  # the suite's leak guard looks for these
        self.app = PlexApp(self.state, token, set(read_only_tokens))
        self.activity = activity_of(self.state)  # tests watch and rate through it
        self._revoked = ""
        self.service = ServiceTime()  # how long a real PMS takes (zero: as fast as possible)
        self.server = LoopbackServer(ServicedApp(self.app, self.service), port=port)
        self.knobs: Knobs = self.server.knobs
        self.log: RequestLog = self.server.log

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        """The token plexapi should send (the revoked one after `revoke_token()`)."""
        return self.app.token or self._revoked

    def start(self) -> PlexEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.app.cancel_timers()
        self.server.stop()

    def __enter__(self) -> PlexEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- tokens -------------------------------------------------------------------------------

    def revoke_token(self) -> None:
        """From now on every request answers 401 (a token revoked mid-run)."""
        with self.library.lock:
            if self.app.token:
                self._revoked = self.app.token
            self.app.token = None

    def set_token(self, token: str) -> None:
        register(token)
        with self.library.lock:
            self.app.token = token

    def add_read_only_token(self, token: str) -> None:
        """A non-owner token: reads work, writes and `GET /library` answer 403."""
        register(token)
        with self.library.lock:
            self.app.read_only_tokens.add(token)

    # -- seeding ------------------------------------------------------------------------------

    def add_section(
        self,
        title: str,
        locations: list[str],
        *,
        section_id: int | None = None,
        other_videos: bool = False,
        **fields: Any,
    ) -> PlexSection:
        """A library section; `other_videos=True` gives agent none / Plex Video Files / xn."""
        with self.library.lock:
            if section_id is None:
                section_id = max(self.library.sections, default=0) + 1
            values: dict[str, Any] = dict(OTHER_VIDEOS) if other_videos else {}
            values.update(fields)
            section = PlexSection(id=section_id, title=title, locations=list(locations), **values)
            self.library.sections[section_id] = section
            return section

    def add_item(
        self, section_id: int, files: list[str] | list[list[str]], **fields: Any
    ) -> PlexItem:
        """An item of `section_id`. `files`: ["a.mkv", "b.mkv"] = one Media per file (versions);
        [["cd1.avi", "cd2.avi"]] = one Media with stacked Parts.

        `fields` are PlexItem attributes (title, summary, tags, locked, ...) plus `rating_key`,
        `sizes` ({file: bytes}), `media_ids`, `part_ids`, `guids` (external `<Guid id>`s).
        Title and year default to what a scanner takes from the first file name.
        """
        media_files = [[f] if isinstance(f, str) else list(f) for f in files]
        with self.library.lock:
            section = self.library.sections[section_id]
            item = scans.create_item(self.state, section, media_files, **fields)
            for path in item.files():
                if path in self.library.disk_files:
                    cache: dict[int, set[str]] = {}
                    scans.forget_scanned(self.state, path, cache)
            return item

    def remove_item(self, rating_key: int) -> None:
        """Delete an item (its ratingKey is never reused)."""
        with self.library.lock:
            scans.delete_item(self.state, rating_key)

    def item(self, rating_key: int) -> PlexItem:
        return self.library.items[rating_key]

    def add_disk_file(self, path: str, size: int) -> None:
        """A file on the Plex host's disk that no scan has picked up yet ("pending")."""
        with self.library.lock:
            self.library.disk_files[path] = size
            self.state.missing_files.discard(path)

    def remove_disk_file(self, path: str) -> None:
        """Delete a file from disk: pending files vanish, item files count as missing."""
        with self.library.lock:
            self.library.disk_files.pop(path, None)
            if any(path in item.files() for item in self.library.items.values()):
                self.state.missing_files.add(path)

    # -- scans --------------------------------------------------------------------------------

    def run_scans(self) -> int:
        """Complete every pending scan now (unless `scans_stall`); returns items created."""
        with self.library.lock:
            return scans.process_scans(self.state, everything=True)

    @property
    def pending_scans(self) -> list[ScanRequest]:
        with self.library.lock:
            scans.process_scans(self.state)
            return list(self.state.pending_scans)

    @property
    def scan_events(self) -> list[ScanEvent]:
        """Every scan request received, including refused ones (path outside all locations)."""
        with self.library.lock:
            return list(self.state.scan_events)
