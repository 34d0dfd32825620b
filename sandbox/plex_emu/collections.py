"""Collections in the Plex emulator (issue 19), as plexapi 4.18's `Collection` reaches them:
listing (`type=18`), one collection with its preferences, children, type-18 edits, posters,
the `collectionSort` preference and item moves.

Evidence: reference/plex.md says nothing about collections beyond the `collection` tag of an
item (§2.g) and has no collection fixture, so every route and attribute here follows what
plexapi sends and parses (collection.py `Collection._loadData`, `sortUpdate`, `moveItem`,
`items`; mixins/advanced_settings.py `preferences`/`editAdvanced`; mixins/resources.py
`uploadPoster`/`posters`; base.py/library.py `_edit` with `type=18`). Behaviours plexapi
cannot tell, marked "unverified" below, are this emulator's choice.

A collection is created when an item of its section first carries a `collection` tag of that
name (as real Plex does when a tag is added through an edit; done lazily, before any route
that can show one). Collections share the items' ratingKey space (`/library/metadata/{rk}`
serves both in plexapi). `install(app)` registers the routes: new ones for
`/library/collections/...`, and the shared `/library/sections/{id}/all` and
`/library/metadata/{rk}...` routes answer for a collection and fall back to the item
handlers otherwise. Slightly over 400 lines on purpose: the whole collection surface (model,
rendering, routes) stays in one module beside the shared route table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.httpd import Request, Response
from sandbox.model import PlexImage, PlexItem
from sandbox.plex_emu import images, render
from sandbox.plex_emu.listing import container_window
from sandbox.plex_emu.state import PlexState, section_uuid

__all__ = ["EmuCollection", "add_collection", "collections_of", "install", "members"]

COLLECTION_TYPE = "18"  # plexapi utils.SEARCHTYPES['collection']
# plexapi Collection.sortUpdate: release 0, alpha 1, custom 2.
SORT_VALUES = {0: "Release date", 1: "Alphabetical", 2: "Custom"}
_EDITABLE = {"title": "title", "titleSort": "title_sort", "summary": "summary"}


@dataclass
class EmuCollection:
    """One collection; the image attributes mirror `PlexItem`'s so `images` serves both."""

    rating_key: int
    section_id: int
    title: str
    added_at: int
    updated_at: int
    summary: str | None = None
    title_sort: str | None = None
    sort: int = 0  # collectionSort
    order: list[int] = field(default_factory=list)  # custom order (ratingKeys)
    locked: set[str] = field(default_factory=set)
    posters: list[PlexImage] = field(default_factory=list)
    arts: list[PlexImage] = field(default_factory=list)
    selected_poster: str | None = None
    selected_art: str | None = None
    thumb: str | None = None
    art: str | None = None
    smart: bool = False


def _store(state: PlexState) -> dict[int, EmuCollection]:
    return state.collections  # type: ignore[return-value]


def collections_of(state: PlexState, section_id: int | None = None) -> list[EmuCollection]:
    """Every collection (of a section), created first for tags that have none yet."""
    sync(state)
    found = _store(state).values()
    return [c for c in found if section_id is None or c.section_id == section_id]


def _by_name(state: PlexState) -> dict[tuple[int, str], EmuCollection]:
    return {(c.section_id, c.title.casefold()): c for c in _store(state).values()}


def sync(state: PlexState) -> None:
    """Create the collection of every tag an item carries without one (unverified whether
    Plex creates it at the edit or at first use; nothing observable tells them apart)."""
    known = _by_name(state)
    for item in state.library.items.values():
        for name in item.tags.get("collection", ()):
            key = (item.section_id, name.casefold())
            if key not in known:
                known[key] = _create(state, item.section_id, name)


def _create(state: PlexState, section_id: int, title: str) -> EmuCollection:
    now = state.now()
    coll = EmuCollection(state.library.allocate_rating_key(), section_id, title, now, now)
    coll.thumb = f"/library/collections/{coll.rating_key}/composite/{now}"
    _store(state)[coll.rating_key] = coll
    return coll


def members(state: PlexState, coll: EmuCollection) -> list[PlexItem]:
    """The collection's items in its current order: release date, alphabetical or custom
    (items new to a custom order are appended; unverified, plex.md is silent)."""
    name = coll.title.casefold()
    items = [
        i
        for i in state.library.items.values()
        if i.section_id == coll.section_id
        and any(t.casefold() == name for t in i.tags.get("collection", ()))
    ]
    if coll.sort == 1:
        items.sort(key=lambda i: ((i.title_sort or i.title).casefold(), i.rating_key))
        return items
    if coll.sort == 2:
        present = {i.rating_key for i in items}
        coll.order = [rk for rk in coll.order if rk in present]
        coll.order += sorted(present - set(coll.order))
        by_key = {i.rating_key: i for i in items}
        return [by_key[rk] for rk in coll.order]
    items.sort(key=lambda i: (i.originally_available_at or "9999", i.title.casefold()))
    return items


def add_collection(
    emulator: Any, section_id: int, title: str, rating_keys: list[int], summary: str | None = None
) -> int:
    """A collection made by hand in Plex's UI: it exists with its items tagged. Returns its
    ratingKey."""
    state: PlexState = emulator.state
    with state.library.lock:
        coll = _create(state, section_id, title)
        coll.summary = summary
        if summary:
            coll.locked.add("summary")
        for rk in rating_keys:
            item = state.library.items[rk]
            tags = item.tags.setdefault("collection", [])
            if title.casefold() not in {t.casefold() for t in tags}:
                tags.append(state.new_tag_name("collection", title))
        return coll.rating_key


def find(emulator: Any, section_id: int, title: str) -> EmuCollection | None:
    """The collection of that name in a section (test helper)."""
    state: PlexState = emulator.state
    with state.library.lock:
        sync(state)
        return _by_name(state).get((section_id, title.casefold()))


# -- rendering -------------------------------------------------------------------------------


def _directory(state: PlexState, coll: EmuCollection, *, full: bool, prefs: bool) -> str:
    section = state.library.sections.get(coll.section_id)
    items = members(state, coll)
    years = [i.year for i in items if i.year]
    pairs: list[tuple[str, object]] = [
        ("ratingKey", coll.rating_key),
        ("key", f"/library/collections/{coll.rating_key}/children"),
        ("guid", f"collection://{uuid.uuid5(uuid.NAMESPACE_URL, str(coll.rating_key))}"),
        ("type", "collection"),
        ("title", coll.title),
        ("titleSort", coll.title_sort),
        ("subtype", "movie"),
        ("summary", coll.summary or ""),
        ("librarySectionID", coll.section_id),
        ("librarySectionKey", f"/library/sections/{coll.section_id}"),
        ("librarySectionTitle", section.title if section else None),
        ("thumb", coll.thumb),
        ("art", coll.art),
        ("addedAt", coll.added_at),
        ("updatedAt", coll.updated_at),
        ("childCount", len(items)),
        ("maxYear", max(years) if years else None),
        ("minYear", min(years) if years else None),
        ("collectionSort", coll.sort or None),  # plexapi defaults a missing one to 0
        ("smart", coll.smart),
    ]
    children: list[str] = []
    if full:
        children += [f'<Field locked="1" name="{render.esc(n)}" />\n' for n in sorted(coll.locked)]
    if prefs:
        # The setting plexapi's editAdvanced checks values against (enumValues "k:label|...").
        enum = "|".join(f"{k}:{v}" for k, v in SORT_VALUES.items())
        setting = render.element(
            "Setting",
            [
                ("id", "collectionSort"),
                ("label", "Collection sort"),
                ("type", "int"),
                ("default", 0),
                ("value", coll.sort),
                ("hidden", False),
                ("advanced", False),
                ("group", ""),
                ("enumValues", enum),
            ],
        )
        children.append(render.element("Preferences", [], [setting]))
    return render.element("Directory", pairs, children)


def _container(
    state: PlexState, section_id: int | None, children: list[str], **extra: object
) -> bytes:
    section = state.library.sections.get(section_id) if section_id is not None else None
    pairs: list[tuple[str, object]] = [
        ("size", len(children)),
        *extra.items(),
        ("identifier", render.IDENTIFIER),
        ("librarySectionID", section.id if section else None),
        ("librarySectionTitle", section.title if section else None),
        ("librarySectionUUID", section_uuid(section) if section else None),
        ("mediaTagPrefix", render.MEDIA_TAG_PREFIX),
        ("mediaTagVersion", render.MEDIA_TAG_VERSION),
    ]
    return render.document(pairs, children)


def _page(request: Request, entries: list[Any]) -> tuple[list[Any], dict[str, object]]:
    start, size, paged = container_window(request)
    if not paged:
        return entries, {}
    end = len(entries) if size is None else start + size
    return entries[start:end], {"totalSize": len(entries), "offset": start}


def _xml(body: bytes) -> Response:
    return Response(200, body, render.XML_TYPE)


def _status(status: int) -> Response:
    return Response(status, b"", "text/html")


# -- handlers --------------------------------------------------------------------------------


class _Handlers:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: PlexState = app.state

    def _get(self, raw: str) -> EmuCollection | None:
        key = int(raw)
        if key in self.state.library.items:
            # An item's key (these routes serve items too): no collection walk, which costs a
            # pass over every item and ran on every upload and image check of a sync.
            return None
        sync(self.state)
        return _store(self.state).get(key)

    def listing(self, request: Request, sid: str) -> Response:
        """`GET /library/sections/{id}/all?type=18` (plexapi `section.collections()`)."""
        # Ordered like items (titleSort, then ratingKey): unverified, plexapi does not care.
        colls = sorted(
            collections_of(self.state, int(sid)),
            key=lambda c: ((c.title_sort or c.title).casefold(), c.rating_key),
        )
        page, extra = _page(request, colls)
        children = [_directory(self.state, c, full=False, prefs=False) for c in page]
        return _xml(_container(self.state, int(sid), children, **extra))

    def one(self, request: Request, rk: str) -> Response | None:
        """`GET /library/collections/{rk}` (also `/library/metadata/{rk}` of a collection)."""
        coll = self._get(rk)
        if coll is None:
            return None
        prefs = request.param("includePreferences") == "1"
        body = _directory(self.state, coll, full=True, prefs=prefs)
        return _xml(_container(self.state, coll.section_id, [body]))

    def children(self, request: Request, rk: str) -> Response:
        coll = self._get(rk)
        if coll is None:
            return _status(404)
        section = self.state.library.sections.get(coll.section_id)
        page, extra = _page(request, members(self.state, coll))
        opts = render.VideoOptions(full=False)
        videos = [render.render_video(i, section, self.state, opts) for i in page]
        return _xml(_container(self.state, coll.section_id, videos, **extra))

    def edit(self, request: Request, sid: str) -> Response:
        """`PUT /library/sections/{id}/all?...&type=18&id=rk[,rk]`: fields and locks."""
        ids = [p for p in (request.param("id") or "").split(",") if p.strip()]
        targets = [self._get(p) if p.isdigit() else None for p in ids]
        if not targets or any(c is None or c.section_id != int(sid) for c in targets):
            return _status(404)  # unverified: a foreign id gets 404 like an item's edit here
        values: dict[str, str] = {}
        locks: dict[str, bool] = {}
        for key, value in request.query:
            name, _, suffix = key.partition(".")
            if key in ("id", "type") or key.startswith("X-Plex-"):
                continue
            if suffix == "value" and name in _EDITABLE:
                values[name] = value
            elif suffix == "locked" and (name in _EDITABLE or name in ("thumb", "art")):
                locks[name] = value not in ("", "0", "false")
            elif self.state.modes.strict:
                return _status(400)
        if values.get("title") == "":
            return _status(400)
        for coll in targets:
            assert coll is not None
            if "title" in values and values["title"] != coll.title:
                _rename(self.state, coll, values["title"])
            for name, value in values.items():
                if name != "title":
                    setattr(coll, _EDITABLE[name], value or None)
            for name, locked in locks.items():
                (coll.locked.add if locked else coll.locked.discard)(name)
            coll.updated_at = max(self.state.now(), coll.updated_at)
        return _status(200)

    def prefs(self, request: Request, rk: str) -> Response:
        """`PUT /library/collections/{rk}/prefs?collectionSort=N` (plexapi editAdvanced)."""
        coll = self._get(rk)
        if coll is None:
            return _status(404)
        raw = request.param("collectionSort")
        if raw is not None:
            if not raw.isdigit() or int(raw) not in SORT_VALUES:
                return _status(400)
            if int(raw) == 2 and coll.sort != 2:
                coll.order = [i.rating_key for i in members(self.state, coll)]
            coll.sort = int(raw)
        return _status(200)

    def move(self, request: Request, rk: str, item: str) -> Response:
        """`PUT /library/collections/{rk}/items/{item}/move[?after=k]`: right after `after`,
        or first without it (unverified: plexapi only says "a new position")."""
        coll = self._get(rk)
        if coll is None:
            return _status(404)
        order = [i.rating_key for i in members(self.state, coll)]
        key = int(item)
        after = request.param("after")
        if key not in order or (
            after is not None and (not after.isdigit() or int(after) not in order)
        ):
            return _status(404)
        order.remove(key)
        order.insert(order.index(int(after)) + 1 if after is not None else 0, key)
        coll.order = order
        return _status(200)

    def upload(self, request: Request, rk: str) -> Response | None:
        coll = self._get(rk)
        if coll is None:
            return None
        status = images.upload(self.state, coll, images.POSTERS, request.body, request.param("url"))  # type: ignore[arg-type]
        return _status(status)

    def photos(self, request: Request, rk: str) -> Response | None:
        coll = self._get(rk)
        if coll is None:
            return None
        return _xml(render.render_photos(coll, coll.posters, coll.selected_poster))  # type: ignore[arg-type]

    def thumb(self, request: Request, rk: str, ts: str) -> Response | None:
        coll = self._get(rk)
        if coll is None:
            return None
        found = images.selected_bytes(coll, images.POSTERS)  # type: ignore[arg-type]
        return _status(404) if found is None else Response(200, found[0], found[1])


def _rename(state: PlexState, coll: EmuCollection, title: str) -> None:
    """A collection's title is its items' tag: renaming it renames the tag on every member
    (unverified whether the items' updatedAt moves; here it does not)."""
    old = coll.title.casefold()
    new = state.new_tag_name("collection", title)
    for item in state.library.items.values():
        if item.section_id != coll.section_id:
            continue
        tags = item.tags.get("collection")
        if tags and any(t.casefold() == old for t in tags):
            item.tags["collection"] = [new if t.casefold() == old else t for t in tags]
    coll.title = title


def install(app: Any) -> None:
    """Register the collection routes on a `PlexApp` (routes.py calls this once)."""
    from sandbox.plex_emu.routes import _compile

    h = _Handlers(app)

    def either(label: str, mine: Any, test: Any) -> None:
        for n, (method, pattern, lab, original) in enumerate(app._routes):
            if lab == label:

                def handler(request: Request, *groups: str, _o: Any = original) -> Response:
                    if test(request, *groups):
                        answer = mine(request, *groups)
                        if answer is not None:
                            return answer
                    return _o(request, *groups)

                app._routes[n] = (method, pattern, lab, handler)

    is_type = lambda request, *_: request.param("type") == COLLECTION_TYPE  # noqa: E731
    always = lambda request, *_: True  # noqa: E731
    either("GET /library/sections/{id}/all", h.listing, is_type)
    either("PUT /library/sections/{id}/all", h.edit, is_type)
    either("GET /library/metadata/{keys}", h.one, lambda r, keys: keys.isdigit())
    either("POST /library/metadata/{rk}/posters", h.upload, always)
    either("GET /library/metadata/{rk}/posters", h.photos, always)
    either("GET /library/metadata/{rk}/thumb/{ts}", h.thumb, always)
    for label, handler in (
        ("GET /library/collections/{rk}", lambda r, rk: h.one(r, rk) or _status(404)),
        ("GET /library/collections/{rk}/children", h.children),
        ("PUT /library/collections/{rk}/prefs", h.prefs),
        ("PUT /library/collections/{rk}/items/{id}/move", h.move),
    ):
        app._routes.append((*_compile(label), label, handler))
