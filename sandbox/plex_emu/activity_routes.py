"""HTTP routes of the Plex emulator's watch activity, as plexapi sends them.

`GET /status/sessions/history/all` (`PlexServer.history()`), `GET /accounts`
(`systemAccounts()`), `GET /:/scrobble` / `/:/unscrobble` (`markPlayed`, `markUnplayed`),
`GET /:/progress` (`updateProgress`), `PUT /:/rate` (`rate`). Evidence: plexapi's source
(server.py, base.py `PlexHistory` and `fetchItems`, mixins/played_unplayed.py,
mixins/rating.py); the state they change is `activity.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.httpd import Request, Response
from sandbox.plex_emu import render
from sandbox.plex_emu.activity import OWNER, Watch, activity_of, after_param
from sandbox.plex_emu.listing import container_window
from sandbox.plex_emu.state import PlexState

__all__ = ["routes"]


def _history(state: PlexState, request: Request) -> Response:
    """`PlexServer.history()`: `sort=viewedAt:desc`, optional `accountID`, `librarySectionID`,
    `metadataItemID`, the strict `viewedAt>` filter (whole seconds), container paging."""
    activity = activity_of(state)
    views = list(activity.views)
    for name, attr in (
        ("accountID", "account_id"),
        ("librarySectionID", "section_id"),
        ("metadataItemID", "rating_key"),
    ):
        raw = request.param(name)
        if raw is not None and raw.isdigit():
            views = [v for v in views if getattr(v, attr) == int(raw)]
    after = after_param(request.param("viewedAt>"))
    if after is not None:
        views = [v for v in views if v.viewed_at > after]
    sort = request.param("sort") or "viewedAt:desc"
    views.sort(key=lambda v: (v.viewed_at, v.history_id), reverse=sort.endswith(":desc"))
    total = len(views)
    start, size, paged = container_window(request)
    page = views[start : total if size is None else start + size] if paged else views
    children = []
    for view in page:
        item = state.library.items.get(view.rating_key)
        pairs = [
            ("historyKey", f"/status/sessions/history/{view.history_id}"),
            ("key", f"/library/metadata/{view.rating_key}"),
            ("ratingKey", view.rating_key),
            ("librarySectionID", view.section_id),
            ("title", item.title if item is not None else None),
            ("type", "movie"),
            ("viewedAt", view.viewed_at),
            ("accountID", view.account_id),
            ("deviceID", 1),
        ]
        children.append(render.element("Video", pairs))
    container = [("size", len(page))]
    if paged:
        container += [("totalSize", total), ("offset", start)]
    return Response(200, render.document(container, children), render.XML_TYPE)


def _accounts(state: PlexState, request: Request) -> Response:
    activity = activity_of(state)
    children = [
        render.element("Account", [("id", aid), ("key", f"/accounts/{aid}"), ("name", name)])
        for aid, name in sorted(activity.accounts.items())
    ]
    return Response(200, render.document([("size", len(children))], children), render.XML_TYPE)


def _item_param(state: PlexState, request: Request) -> int | None:
    raw = request.param("key") or ""
    return int(raw) if raw.isdigit() and int(raw) in state.library.items else None


def _scrobble(state: PlexState, request: Request) -> Response:
    rating_key = _item_param(state, request)
    if rating_key is None:
        return Response(404, b"", "text/html")
    activity_of(state).record_view(rating_key, OWNER, None)
    return Response(200, b"", "text/html")


def _unscrobble(state: PlexState, request: Request) -> Response:
    rating_key = _item_param(state, request)
    if rating_key is None:
        return Response(404, b"", "text/html")
    activity_of(state).watch.pop((OWNER, rating_key), None)
    return Response(200, b"", "text/html")


def _progress(state: PlexState, request: Request) -> Response:
    rating_key = _item_param(state, request)
    offset = after_param(request.param("time"))
    if rating_key is None or offset is None:
        return Response(404 if rating_key is None else 400, b"", "text/html")
    activity = activity_of(state)
    watch = activity.watch.setdefault((OWNER, rating_key), Watch())
    watch.view_offset = offset
    watch.last_viewed_at = state.now()
    return Response(200, b"", "text/html")


def _rate(state: PlexState, request: Request) -> Response:
    rating_key = _item_param(state, request)
    raw = request.param("rating")
    try:
        rating = float(raw) if raw not in (None, "") else None
    except ValueError:
        return Response(400, b"", "text/html")
    if rating_key is None:
        return Response(404, b"", "text/html")
    item = state.library.items[rating_key]
    item.user_rating = rating if rating and rating > 0 else None
    activity_of(state).rated_at[rating_key] = state.now()
    return Response(200, b"", "text/html")


def routes(state: PlexState) -> list[tuple[str, Callable[..., Response]]]:
    """(route label, handler(request)) pairs for `PlexApp`'s table (run under the lock)."""
    return [
        ("GET /status/sessions/history/all", lambda r: _history(state, r)),
        ("GET /accounts", lambda r: _accounts(state, r)),
        ("GET /:/scrobble", lambda r: _scrobble(state, r)),
        ("GET /:/unscrobble", lambda r: _unscrobble(state, r)),
        ("GET /:/progress", lambda r: _progress(state, r)),
        ("PUT /:/rate", lambda r: _rate(state, r)),
    ]
