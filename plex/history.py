"""Reading Plex's watch activity: play history, items in progress, items rated since a time.

Raw requests through `PlexClient` like every other read, shaped as plexapi sends them
(`PlexServer.history()`, `LibrarySection.search(inProgress=True)`, `lastRatedAt>>=`); the
answers become plain records. docs/plex-activity.md has the evidence and the costs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

__all__ = [
    "HISTORY_PAGE",
    "OWNER_ACCOUNT",
    "HistoryRead",
    "ItemActivity",
    "PlexView",
    "in_progress",
    "rated_since",
    "read_accounts",
    "read_history",
]

HISTORY_PAGE = 1000  # views per history request (issue 18's container size)
OWNER_ACCOUNT = 1  # the server owner's account id (plexapi myplex.py, library.py)
# The activity listings need only the Video attributes: every child element is left out.
_EXCLUDE = "Media,Genre,Role,Collection,Director,Writer,Country,Producer,Label,Field,Image"


class _Reader(Protocol):
    def read_xml(
        self, path: str, *, label: str, headers: dict[str, str] | None = None
    ) -> ET.Element: ...


@dataclass(frozen=True)
class PlexView:
    """One entry of Plex's play history."""

    history_key: str
    rating_key: int
    account_id: int
    viewed_at: int  # epoch seconds
    section_id: int | None


@dataclass(frozen=True)
class HistoryRead:
    views: list[PlexView]
    requests: int
    newest: int  # the newest viewedAt read (0: none)


@dataclass(frozen=True)
class ItemActivity:
    """An item's watch state for the token's account, from a section listing."""

    rating_key: int
    section_id: int
    view_offset_ms: int
    last_viewed_at: int | None
    user_rating: float | None
    last_rated_at: int | None


def _int(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


def _float(raw: str | None) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _query(params: list[tuple[str, str]]) -> str:
    # Only values are encoded, keys are sent as is: plexapi's utils.joinArgs, which is how
    # `viewedAt>` and `lastRatedAt>>` reach Plex.
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in params)


def read_history(client: _Reader, after: int) -> HistoryRead:
    """Every view of every account with `viewedAt` > `after` (whole seconds, Plex's strict
    filter), newest first, 1,000 per request to the end (no `accountID`: the pull filters by
    `plex_accounts` when delivering, so views already read serve an account added later)."""
    params = [("sort", "viewedAt:desc")]
    if after > 0:
        params.append(("viewedAt>", str(int(after))))
    path = f"/status/sessions/history/all?{_query(params)}"
    views: list[PlexView] = []
    start, requests = 0, 0
    while True:
        root = client.read_xml(
            path,
            label="/status/sessions/history/all",
            headers={
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Size": str(HISTORY_PAGE),
            },
        )
        requests += 1
        page = [v for v in (_view(e) for e in root) if v is not None]
        views += page
        total = _int(root.get("totalSize"))
        start += HISTORY_PAGE
        if len(list(root)) < HISTORY_PAGE or (total is not None and start >= total):
            break
    newest = max((v.viewed_at for v in views), default=0)
    return HistoryRead(views, requests, newest)


def _view(element: ET.Element) -> PlexView | None:
    key = element.get("historyKey")
    rating_key = _int(element.get("ratingKey"))
    viewed = _int(element.get("viewedAt"))
    if not key or rating_key is None or viewed is None:
        return None
    account = _int(element.get("accountID"))
    return PlexView(
        history_key=key,
        rating_key=rating_key,
        account_id=OWNER_ACCOUNT if account is None else account,
        viewed_at=viewed,
        section_id=_int(element.get("librarySectionID")),
    )


def read_accounts(client: _Reader) -> dict[str, int]:
    """Account name (case-folded) -> id, from `GET /accounts` (plexapi `systemAccounts()`)."""
    root = client.read_xml("/accounts", label="/accounts")
    found: dict[str, int] = {}
    for element in root:
        account_id = _int(element.get("id"))
        name = (element.get("name") or "").strip()
        if account_id is not None and name:
            found.setdefault(name.casefold(), account_id)
    return found


def _listing(client: _Reader, section_id: int, extra: list[tuple[str, str]]) -> list[ItemActivity]:
    params = [("type", "1"), *extra, ("includeGuids", "0"), ("excludeElements", _EXCLUDE)]
    path = f"/library/sections/{int(section_id)}/all?{_query(params)}"
    root = client.read_xml(path, label=f"/library/sections/{int(section_id)}/all")
    found: list[ItemActivity] = []
    for element in root:
        rating_key = _int(element.get("ratingKey"))
        if rating_key is None:
            continue
        rating = _float(element.get("userRating"))
        found.append(
            ItemActivity(
                rating_key=rating_key,
                section_id=int(section_id),
                view_offset_ms=_int(element.get("viewOffset")) or 0,
                last_viewed_at=_int(element.get("lastViewedAt")),
                user_rating=rating if rating is not None and rating > 0 else None,
                last_rated_at=_int(element.get("lastRatedAt")),
            )
        )
    return found


def in_progress(client: _Reader, section_ids: Iterable[int]) -> list[ItemActivity]:
    """Items of the sections with a resume point (`inProgress=1`, plexapi's boolean filter):
    one listing per section."""
    return [a for sid in section_ids for a in _listing(client, sid, [("inProgress", "1")])]


def rated_since(client: _Reader, section_ids: Iterable[int], since: int) -> list[ItemActivity]:
    """Items rated (or un-rated) at or after `since` (`lastRatedAt>>=`, plexapi's "after"
    operator for date fields): one listing per section."""
    extra = [("lastRatedAt>>", str(max(int(since), 0)))]
    return [a for sid in section_ids for a in _listing(client, sid, extra)]
