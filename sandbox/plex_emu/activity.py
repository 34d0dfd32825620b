"""Watch activity of the Plex emulator: play history, per-account watch state, ratings.

The HTTP routes are in `activity_routes.py`; here: the state, the item
fields `viewCount`, `lastViewedAt`, `viewOffset`, `lastRatedAt` (the token's account, the
owner) and the `/all` filters `inProgress=1`, `lastViewedAt>>=`, `lastRatedAt>>=`. Tests act
as any account with `Activity.watch`, `progress` and `rate`. Evidence: plexapi's source
(server.py `history`, base.py `PlexHistory`, `fetchItems` paging, mixins/played_unplayed.py,
mixins/rating.py, library.py filter operators); no real history response is in
../shared/fixtures, so the element shape is what plexapi parses (docs/sandbox-plex.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.httpd import Request
from sandbox.model import PlexItem
from sandbox.plex_emu.state import PlexState

__all__ = ["OWNER", "Activity", "View", "Watch", "activity_of", "filter_keys", "watch_pairs"]

OWNER = 1  # the server owner's accountID (plexapi myplex.py / library.py)


@dataclass
class View:
    history_id: int
    rating_key: int
    section_id: int
    account_id: int
    viewed_at: int


@dataclass
class Watch:
    view_count: int = 0
    last_viewed_at: int | None = None
    view_offset: int = 0  # ms


@dataclass
class Activity:
    """Everything about watching that PMS keeps beside the metadata."""

    state: PlexState
    views: list[View] = field(default_factory=list)
    watch: dict[tuple[int, int], Watch] = field(default_factory=dict)  # (account, rk)
    rated_at: dict[int, int] = field(default_factory=dict)  # rk -> lastRatedAt (owner)
    accounts: dict[int, str] = field(default_factory=lambda: {OWNER: "owner"})
    next_id: int = 1

    def _item(self, rating_key: int) -> PlexItem:
        item = self.state.library.items.get(int(rating_key))
        if item is None:
            raise KeyError(f"no Plex item {rating_key}")
        return item

    def watch_once(self, rating_key: int, account: int = OWNER, at: int | None = None) -> View:
        """A completed play: one history entry, viewCount + 1, the resume point cleared."""
        with self.state.library.lock:
            return self.record_view(rating_key, account, at)

    def record_view(self, rating_key: int, account: int, at: int | None) -> View:
        item = self._item(rating_key)
        when = self.state.now() if at is None else int(at)
        view = View(self.next_id, item.rating_key, item.section_id, account, when)
        self.next_id += 1
        self.views.append(view)
        state = self.watch.setdefault((account, item.rating_key), Watch())
        state.view_count += 1
        state.last_viewed_at = max(state.last_viewed_at or 0, when)
        state.view_offset = 0
        return view

    def progress(
        self, rating_key: int, offset_ms: int, account: int = OWNER, at: int | None = None
    ) -> None:
        """Stopped part-way: a resume point, no history entry (PMS records a view only once
        an item is watched to its end)."""
        with self.state.library.lock:
            item = self._item(rating_key)
            when = self.state.now() if at is None else int(at)
            state = self.watch.setdefault((account, item.rating_key), Watch())
            state.view_offset = int(offset_ms)
            state.last_viewed_at = max(state.last_viewed_at or 0, when)

    def rate(self, rating_key: int, rating: float | None, at: int | None = None) -> None:
        """The owner rates (None or 0 clears). `lastRatedAt` moves on a clear too (plex.md is
        silent; the pull finds cleared ratings this way). `updatedAt` does not move: a rating
        is the user's data, not the item's metadata (unverified)."""
        with self.state.library.lock:
            item = self._item(rating_key)
            item.user_rating = float(rating) if rating else None
            self.rated_at[item.rating_key] = self.state.now() if at is None else int(at)

    # -- reads --------------------------------------------------------------------------------

    def of_owner(self, rating_key: int) -> Watch | None:
        return self.watch.get((OWNER, rating_key))


def activity_of(state: PlexState) -> Activity:
    if state.activity is None:
        state.activity = Activity(state)
    return state.activity  # type: ignore[no-any-return]


def watch_pairs(state: PlexState, rating_key: int) -> list[tuple[str, object]]:
    """The owner's watch state as Video attributes (unset ones omitted, as PMS does)."""
    activity = state.activity
    if activity is None:
        return []
    watch = activity.of_owner(rating_key)
    pairs: list[tuple[str, object]] = []
    if watch is not None:
        pairs += [
            ("viewCount", watch.view_count or None),
            ("viewOffset", watch.view_offset or None),
            ("lastViewedAt", watch.last_viewed_at),
        ]
    pairs.append(("lastRatedAt", activity.rated_at.get(rating_key)))
    return pairs


def after_param(raw: str | None) -> int | None:
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None


def filter_keys(state: PlexState, keys: list[int], request: Request) -> list[int]:
    """`/all` filters of plexapi's search: `inProgress=1` (boolean), `lastViewedAt>>=` and
    `lastRatedAt>>=` (date "after": strictly later, plexapi's `>>` operator)."""
    activity = state.activity
    in_progress = request.param("inProgress") == "1"
    viewed = after_param(request.param("lastViewedAt>>"))
    rated = after_param(request.param("lastRatedAt>>"))
    if not (in_progress or viewed is not None or rated is not None):
        return keys
    if activity is None:
        return []
    kept = []
    for key in keys:
        watch = activity.of_owner(key)
        if in_progress and (watch is None or watch.view_offset <= 0):
            continue
        if viewed is not None and (watch is None or (watch.last_viewed_at or 0) <= viewed):
            continue
        if rated is not None and activity.rated_at.get(key, 0) <= rated:
            continue
        kept.append(key)
    return kept
