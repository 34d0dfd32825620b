"""Writing the details of one collection we own (issue 19): summary, poster, custom sort and the
scene order, each only when Stash's value changed and Plex still holds what we left there.

Per collection, only when its fingerprint or its members changed: one GET of the collection
(with its preferences), then at most one type-18 edit, one poster upload, the sort PUT and the
moves; one more GET after an edit for the post-write baseline. A field whose value differs
from that baseline was edited by hand and is kept, whatever `preserve_plex_edits` says
(collections are shared objects users curate).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plex.collection_plan import (
    CUSTOM_SORT,
    desired_order,
    fingerprint,
    hand_edited,
    order_kept,
    plan_moves,
)
from plex.collections import PlexCollections
from stash.errors import ImageUnavailable
from stash.images import is_placeholder_url
from sync_queue.collection_state import CollectionRow

__all__ = ["Details", "WriteReport", "rename_collection", "write_collection"]


@dataclass(frozen=True)
class Details:
    """What Stash says one collection should show."""

    title: str
    summary: str  # "" = none
    image_url: str | None  # Stash's image URL (a placeholder is never uploaded)
    ordered: bool  # a group: custom order by scene_index

    def fingerprint(self) -> str:
        return fingerprint([self.title, self.summary, self.image_url or "", self.ordered])


@dataclass
class WriteReport:
    """Requests one collection cost, and the fields kept because they were edited by hand."""

    reads: int = 0
    edits: int = 0
    uploads: int = 0
    sorts: int = 0
    moves: int = 0
    kept: list[str] = field(default_factory=list)
    no_image: str | None = None  # why the image was not uploaded (placeholder, unavailable)

    @property
    def writes(self) -> int:
        return self.edits + self.uploads + self.sorts + self.moves


def _base(row: CollectionRow) -> dict[str, Any]:
    base = row.state.get("base")
    if not isinstance(base, dict):
        base = row.state["base"] = {}
    return base


def _lock(row: CollectionRow, names: list[str]) -> None:
    row.state["locks"] = sorted(set(row.state.get("locks") or ()) | set(names))


def rename_collection(api: PlexCollections, row: CollectionRow, title: str) -> WriteReport:
    """The Stash entity was renamed: edit the collection's title (its poster, order and other
    hand edits stay; Plex renames the tag on its items). A title edited by hand is kept."""
    report = WriteReport(reads=1)
    snap = api.get(row.rating_key)
    base = _base(row)
    if snap.title != title:
        if hand_edited(snap.title, base.get("title")):
            report.kept.append("title")
            return report
        api.edit(row.section_id, row.rating_key, {"title": title})
        report.edits += 1
        _lock(row, ["title"])
        after = api.get(row.rating_key)
        report.reads += 1
        base["title"] = fingerprint(after.title)
    row.title = title
    return report


def write_collection(
    api: PlexCollections,
    fetch_image: Callable[[str], bytes],
    row: CollectionRow,
    details: Details,
    members_changed: bool,
) -> WriteReport:
    """Bring one owned collection to `details` (and, for a group, `row.state["members"]`'s
    order). Mutates `row.state`; returns what it cost. Plex and Stash errors propagate (the
    fingerprint is stored only at the end, so the next run tries again)."""
    report = WriteReport()
    state = row.state
    members = state.get("members") or {}
    details_fp = details.fingerprint()
    order_fp = fingerprint(sorted(members.items())) if details.ordered else None
    if state.get("fp") == details_fp and state.get("order_fp") == order_fp and not members_changed:
        return report  # nothing Stash says changed: no request at all
    snap = api.get(row.rating_key)
    report.reads += 1
    base = _base(row)
    edits: dict[str, str] = {}
    for name, want, now in (
        ("title", details.title, snap.title),
        ("summary", details.summary, snap.summary),
    ):
        if now == want:
            base.setdefault(name, fingerprint(now))
        elif hand_edited(now, base.get(name)):
            report.kept.append(name)
        else:
            edits[name] = want
    poster_done = _poster(api, fetch_image, row, details, report)
    if edits:
        api.edit(row.section_id, row.rating_key, edits)
        report.edits += 1
        _lock(row, list(edits))
        after = api.get(row.rating_key)  # the post-write baseline: what Plex stored
        report.reads += 1
        for name in edits:
            base[name] = fingerprint(getattr(after, name))
        snap = after
    if details.ordered:
        _order(api, row, snap.sort, members, report)
        state["order_fp"] = order_fp
    if poster_done:
        state["fp"] = details_fp
    return report


def _poster(
    api: PlexCollections,
    fetch_image: Callable[[str], bytes],
    row: CollectionRow,
    details: Details,
    report: WriteReport,
) -> bool:
    """Upload the Stash image when its URL changed; True when the poster is settled (a
    Stash error leaves it unsettled, so the next run tries again)."""
    state = row.state
    url = details.image_url
    if not url:
        return True
    url_fp = fingerprint(url)
    if state.get("url") == url_fp:
        return True
    if is_placeholder_url(url):
        report.no_image = "Stash has no image (placeholder)"
        return True
    uploaded = state.get("poster")
    if uploaded:
        selected = api.selected_poster(row.rating_key)
        report.reads += 1
        if not (selected or "").endswith(str(uploaded)):
            report.kept.append("poster")  # replaced by hand since our upload
            state["url"] = url_fp
            return True
    try:
        data = fetch_image(url)
    except ImageUnavailable as exc:
        report.no_image = str(exc)  # a placeholder or not an image: never uploaded
        state["url"] = url_fp
        return True
    digest = hashlib.sha1(data).hexdigest()
    if digest != uploaded:
        api.upload_poster(row.rating_key, data)
        report.uploads += 1
        _lock(row, ["thumb"])  # Plex locks the poster it selects on upload
        state["poster"] = digest
    state["url"] = url_fp
    return True


def _order(
    api: PlexCollections,
    row: CollectionRow,
    sort: int,
    members: dict[str, Any],
    report: WriteReport,
) -> None:
    """Custom sort (once), then the moves into scene_index order; a sort or an order changed
    by hand since our last write is kept."""
    base = _base(row)
    if sort != CUSTOM_SORT:
        if base.get("sort") == CUSTOM_SORT:
            report.kept.append("sort")
            return
        api.custom_sort(row.rating_key)
        report.sorts += 1
        base["sort"] = CUSTOM_SORT
    current = api.children(row.rating_key)
    report.reads += 1
    if order_kept(current, base.get("order")):
        report.kept.append("order")
        return
    desired = desired_order(members, current)
    for item, after in plan_moves(current, desired):
        api.move(row.rating_key, item, after)
        report.moves += 1
    known = {rk for entry in members.values() for rk in (entry[3] if len(entry) > 3 else [])}
    base["order"] = [rk for rk in desired if rk in known]
