"""Writing the details of one collection we own (issue 19): summary, poster, custom sort and the
scene order, each only when Stash's value changed and Plex still holds what we left there.

Details (`write_collection`), only when Stash's values changed: one GET of the collection,
at most one type-18 edit and one poster upload, one more GET after an edit for the post-write
baseline. Order (`write_order`, a group, once per run when its members changed): plexapi's
`sortUpdate` (the GET of its preferences, the PUT once), its children, the moves. A field
whose value differs from that baseline was edited by hand and is kept, whatever
`preserve_plex_edits` says (collections are shared objects users curate).
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

__all__ = [
    "Details",
    "WriteReport",
    "order_fingerprint",
    "rename_collection",
    "write_collection",
    "write_order",
]


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
) -> WriteReport:
    """Bring one owned collection's title, summary and poster to `details`. Mutates
    `row.state`; returns what it cost. Plex and Stash errors propagate (the fingerprint is
    stored only at the end, so the next sync tries again). The order is `write_order`'s."""
    report = WriteReport()
    state = row.state
    details_fp = details.fingerprint()
    if state.get("fp") == details_fp:
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
    _poster(api, fetch_image, row, details, report)
    if edits:
        api.edit(row.section_id, row.rating_key, edits)
        report.edits += 1
        _lock(row, list(edits))
        after = api.get(row.rating_key)  # the post-write baseline: what Plex stored
        report.reads += 1
        for name in edits:
            base[name] = fingerprint(getattr(after, name))
    state["fp"] = details_fp
    return report


def order_fingerprint(row: CollectionRow) -> str:
    """Fingerprint of the group's members and their places (what `write_order` reaches)."""
    return fingerprint(sorted((row.state.get("members") or {}).items()))


def write_order(api: PlexCollections, row: CollectionRow) -> WriteReport:
    """A group's collection in scene_index order: the custom sort (plexapi `sortUpdate`: a GET
    of its preferences, then the PUT, once), the children, the moves. Nothing when the members
    did not change since the last order; a sort or an order changed by hand is kept."""
    report = WriteReport()
    wanted = order_fingerprint(row)
    if row.state.get("order_fp") == wanted:
        return report
    snap = api.get(row.rating_key)
    report.reads += 1
    _order(api, row, snap.sort, row.state.get("members") or {}, report)
    row.state["order_fp"] = wanted
    return report


def _poster(
    api: PlexCollections,
    fetch_image: Callable[[str], bytes],
    row: CollectionRow,
    details: Details,
    report: WriteReport,
) -> None:
    """Upload the Stash image when its URL changed (a Stash outage propagates: the details'
    fingerprint is then not stored, so the next sync tries again)."""
    state = row.state
    url = details.image_url
    if not url:
        return
    url_fp = fingerprint(url)
    if state.get("url") == url_fp:
        return
    if is_placeholder_url(url):
        report.no_image = "Stash has no image (placeholder)"
        return
    uploaded = state.get("poster")
    if uploaded:
        selected = api.selected_poster(row.rating_key)
        report.reads += 1
        if not (selected or "").endswith(str(uploaded)):
            report.kept.append("poster")  # replaced by hand since our upload
            state["url"] = url_fp
            return
    try:
        data = fetch_image(url)
    except ImageUnavailable as exc:
        report.no_image = str(exc)  # a placeholder or not an image: never uploaded
        state["url"] = url_fp
        return
    digest = hashlib.sha1(data).hexdigest()
    if digest != uploaded:
        api.upload_poster(row.rating_key, data)
        report.uploads += 1
        _lock(row, ["thumb"])  # Plex locks the poster it selects on upload
        state["poster"] = digest
    state["url"] = url_fp


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
