"""HTTP surface of the Plex emulator: route table, token checks and the route handlers.

`PlexApp.dispatch` is what `LoopbackServer` calls; every handler runs under the library lock
and returns a `Response`; route labels ("GET /library/sections/{id}/all") feed the request log.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from functools import partial

from sandbox.httpd import Request, Response
from sandbox.model import PlexItem, PlexSection
from sandbox.plex_emu import activity_routes, collections, images, listing, render, scans
from sandbox.plex_emu.edits import EditError, agent_refresh, section_edit
from sandbox.plex_emu.state import PlexState, refused_status

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
Handler = Callable[..., Response]
_PLACEHOLDERS = {"{id}": r"(\d+)", "{rk}": r"(\d+)", "{ts}": r"(\d+)", "{keys}": r"([^/]+)"}


def _compile(label: str) -> tuple[str, re.Pattern[str]]:
    """("GET", pattern) from a route label such as "GET /library/sections/{id}/all"."""
    method, template = label.split(" ", 1)
    pattern = re.escape(template)
    for placeholder, regex in _PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(placeholder), regex)
    return method, re.compile(pattern)


def xml(body: bytes) -> Response:
    return Response(200, body, render.XML_TYPE)


def empty(status: int = 200) -> Response:
    if status in _REASONS:
        return Response(status, render.html_error(status, _REASONS[status]), "text/html")
    return Response(status, b"", "text/html")


class PlexApp:
    """Routes PMS requests to handlers; owns token checks."""

    def __init__(self, state: PlexState, token: str, read_only_tokens: set[str]) -> None:
        self.state = state
        self.token: str | None = token
        self.read_only_tokens = set(read_only_tokens)
        self._timers: list[threading.Timer] = []
        self._listing_items = threading.local()
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = [
            (*_compile(label), label, handler)
            for label, handler in [
                ("GET /", self._root),
                ("GET /identity", self._identity),
                ("GET /library", self._library),
                ("GET /library/sections", self._sections),
                ("GET /library/sections/all/refresh", self._refresh_all),
                ("GET /library/sections/{id}/all", self._list),
                ("PUT /library/sections/{id}/all", self._edit),
                ("GET /library/sections/{id}/refresh", self._scan),
                ("DELETE /library/sections/{id}/refresh", self._cancel_scan),
                ("GET /library/metadata/{keys}", self._metadata),
                ("PUT /library/metadata/{rk}", self._item_edit),
                ("PUT /library/metadata/{rk}/refresh", self._item_refresh),
                ("POST /library/metadata/{rk}/posters", partial(self._upload, kind="posters")),
                ("POST /library/metadata/{rk}/arts", partial(self._upload, kind="arts")),
                ("GET /library/metadata/{rk}/posters", partial(self._photos, kind="posters")),
                ("GET /library/metadata/{rk}/arts", partial(self._photos, kind="arts")),
                ("PUT /library/metadata/{rk}/poster", partial(self._choose, kind="poster")),
                ("PUT /library/metadata/{rk}/art", partial(self._choose, kind="art")),
                ("GET /library/metadata/{rk}/thumb/{ts}", partial(self._image, kind="thumb")),
                ("GET /library/metadata/{rk}/art/{ts}", partial(self._image, kind="art")),
                ("GET /library/metadata/{rk}/file", self._file),
                *activity_routes.routes(state),
            ]
        ]
        collections.install(self)  # issue 19: collection routes (sandbox/plex_emu/collections.py)

    # -- transport ----------------------------------------------------------------------------

    def dispatch(self, request: Request) -> tuple[str, Response]:
        query_token = request.param("X-Plex-Token")
        # The request log keeps the query: drop the token so it never lands there.
        request.query = [(k, v) for k, v in request.query if k != "X-Plex-Token"]
        path = request.path.rstrip("/") or "/"
        for method, pattern, label, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None or method != request.method:
                continue
            denied = self._auth(request, query_token, label)
            if denied is not None:
                return label, empty(denied)
            self._listing_items.count = 0
            with self.state.library.lock:
                scans.process_scans(self.state)
                response = handler(request, *match.groups())
            delay = self.state.modes.per_item_latency_s * self._listing_items.count
            if delay:
                time.sleep(delay)
            return label, response
        denied = self._auth(request, query_token, "unknown")
        return "unknown", empty(denied or 404)

    def _auth(self, request: Request, query_token: str | None, label: str) -> int | None:
        if label == "GET /identity":
            return None
        token = request.header("X-Plex-Token") or query_token
        if token is not None and token == self.token:
            return None
        if token is not None and token in self.read_only_tokens:
            # A shared/managed user's token: reads work, writes and /library are forbidden.
            if request.method != "GET" or label == "GET /library":
                return 403
            return None
        return 401

    def schedule_timer(self) -> None:
        """With a positive scan delay, finish scans on time even if no request arrives."""
        delay = self.state.modes.scan_delay_s
        if not delay or delay <= 0:
            return
        due_by = self.state.clock() + delay  # an injected clock may stand still

        def fire() -> None:
            with self.state.library.lock:
                scans.process_scans(self.state, due_by=due_by)

        timer = threading.Timer(delay + 0.001, fire)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    # -- lookups ------------------------------------------------------------------------------

    def _section(self, raw: str) -> PlexSection | None:
        return self.state.library.sections.get(int(raw))

    def _item(self, raw: str) -> PlexItem | None:
        return self.state.library.items.get(int(raw))

    # -- server and sections ------------------------------------------------------------------

    def _root(self, request: Request) -> Response:
        return xml(render.render_root(self.state))

    def _identity(self, request: Request) -> Response:
        return xml(render.render_identity(self.state))

    def _library(self, request: Request) -> Response:
        return xml(render.render_library())

    def _sections(self, request: Request) -> Response:
        return xml(render.render_sections(self.state))

    def _list(self, request: Request, sid: str) -> Response:
        section = self._section(sid)
        if section is None:
            return empty(404)
        try:
            body, count = listing.list_section(self.state, section, request)
        except listing.ListingError as exc:
            return empty(exc.status)
        self._listing_items.count = count
        return xml(body)

    def _metadata(self, request: Request, raw_keys: str) -> Response:
        keys = listing.parse_keys(raw_keys)
        body = None if keys is None else listing.fetch_items(self.state, keys, request)
        return empty(404) if body is None else xml(body)

    # -- edits --------------------------------------------------------------------------------

    def _refused(self, request: Request, rating_keys: list[int]) -> int | None:
        """`PlexModes.refuse_edits` for an edit PUT (`<name>.value`, `<kind>[i]…`, `.locked`)."""
        if not self.state.modes.refuse_edits:
            return None
        names = {k.split("[")[0].split(".")[0] for k, _ in request.query} - {"id", "type"}
        return refused_status(self.state.modes, rating_keys, names)

    def _edit(self, request: Request, sid: str) -> Response:
        section = self._section(sid)
        if section is None:
            return empty(404)
        keys = [int(k) for k in (request.param("id") or "").split(",") if k.strip().isdigit()]
        refused = self._refused(request, keys)
        if refused is not None:
            return empty(refused)
        try:
            return empty(section_edit(self.state, section, request.query, require_type=True))
        except EditError as exc:
            return empty(exc.status)

    def _item_edit(self, request: Request, rk: str) -> Response:
        item = self._item(rk)
        section = None if item is None else self.state.library.sections.get(item.section_id)
        if item is None or section is None:
            return empty(404)
        query = [(k, v) for k, v in request.query if k != "id"] + [("id", rk)]
        refused = self._refused(request, [int(rk)])
        if refused is not None:
            return empty(refused)
        try:
            return empty(section_edit(self.state, section, query, require_type=False))
        except EditError as exc:
            return empty(exc.status)

    def _item_refresh(self, request: Request, rk: str) -> Response:
        item = self._item(rk)
        if item is None:
            return empty(404)
        agent_refresh(self.state, item)
        return empty(200)

    # -- scans --------------------------------------------------------------------------------

    def _scan(self, request: Request, sid: str) -> Response:
        section = self._section(sid)
        if section is None:
            return empty(404)
        return self._request_scan([section], request)

    def _refresh_all(self, request: Request) -> Response:
        return self._request_scan(list(self.state.library.sections.values()), request)

    def _request_scan(self, sections: list[PlexSection], request: Request) -> Response:
        path = request.param("path")
        force = request.param("force") == "1"
        if scans.request_scan(self.state, sections, path or None, force):
            self.schedule_timer()
        return empty(200)

    def _cancel_scan(self, request: Request, sid: str) -> Response:
        section = self._section(sid)
        if section is None:
            return empty(404)
        scans.cancel_scans(self.state, section)
        return empty(200)

    # -- images -------------------------------------------------------------------------------

    def _upload(self, request: Request, rk: str, *, kind: str) -> Response:
        item = self._item(rk)
        if item is None:
            return empty(404)
        refused = refused_status(self.state.modes, [int(rk)], {kind.rstrip("s")})
        if refused is not None:
            return empty(refused)
        url = request.param("url")
        fetched = None
        if url and self.state.modes.fetch_upload_urls:
            # Download without the lock: the URL may point back at this very server.
            self.state.library.lock.release()
            try:
                fetched = images.fetch_url(url)
            finally:
                self.state.library.lock.acquire()
        status = images.upload(self.state, item, images.KINDS[kind], request.body, url, fetched)
        return empty(status)

    def _photos(self, request: Request, rk: str, *, kind: str) -> Response:
        item = self._item(rk)
        if item is None:
            return empty(404)
        image_kind = images.KINDS[kind]
        selected = getattr(item, image_kind.selected_attr)
        return xml(render.render_photos(item, images.resources(item, image_kind), selected))

    def _choose(self, request: Request, rk: str, *, kind: str) -> Response:
        item = self._item(rk)
        if item is None:
            return empty(404)
        new_path = images.choose(self.state, item, images.KINDS[kind], request.param("url"))
        if new_path is None:
            return empty(404)
        # PMS answers with the new image path as plain text (plexapi swallows the ParseError).
        return Response(200, new_path.encode(), "text/plain")

    def _image(self, request: Request, rk: str, ts: str, *, kind: str) -> Response:
        item = self._item(rk)
        found = None if item is None else images.selected_bytes(item, images.KINDS[kind])
        if found is None:
            return empty(404)
        return Response(200, found[0], found[1])

    def _file(self, request: Request, rk: str) -> Response:
        item = self._item(rk)
        url = request.param("url")
        found = None if item is None or not url else images.resource_bytes(item, url)
        if found is None:
            return empty(404)
        return Response(200, found[0], found[1])
