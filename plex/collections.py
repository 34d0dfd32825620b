"""Plex collections as plexapi's `Collection` reaches them (issue 19): listing, one collection
with its preferences, its children, type-18 edits, posters, the custom sort and item moves.

Every request goes through `PlexClient.read_xml`/`send` (counted, throttled, translated).
The routes are the ones plexapi 4.18 sends (collection.py, mixins/advanced_settings.py,
mixins/resources.py, library.py): listing `section.collections()` = `GET
/library/sections/{id}/all?type=18`; `Collection.key` = `/library/collections/{rk}`;
`editSummary`/`editTitle` = `PUT /library/sections/{id}/all?...&type=18&id={rk}`;
`uploadPoster(filepath=)` = `POST /library/metadata/{rk}/posters` with the bytes;
`sortUpdate('custom')` = `GET /library/collections/{rk}?includePreferences=1` then
`PUT /library/collections/{rk}/prefs?collectionSort=2`; `moveItem(item, after)` =
`PUT /library/collections/{rk}/items/{item}/move?after={after}`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from base.errors import PlexNotFound
from plex.client import PlexClient
from plex.collection_plan import CUSTOM_SORT, name_key
from plex.edit_encoding import encode_params

__all__ = ["COLLECTION_TYPE", "CollectionSnapshot", "PlexCollections"]

COLLECTION_TYPE = "18"  # plexapi utils.SEARCHTYPES['collection']
_PAGE = 500


@dataclass(frozen=True)
class CollectionSnapshot:
    """One collection as Plex holds it now."""

    rating_key: int
    section_id: int
    title: str
    summary: str
    sort: int  # collectionSort: 0 release date, 1 alphabetical, 2 custom
    locks: frozenset[str]
    smart: bool = False


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


class PlexCollections:
    """The collection routes of one Plex server, over the run's `PlexClient`."""

    def __init__(self, client: PlexClient) -> None:
        self.client = client

    # -- reads --------------------------------------------------------------------------------

    def _paged(self, path: str, label: str) -> list[ET.Element]:
        found: list[ET.Element] = []
        start = 0
        while True:
            root = self.client.read_xml(
                path,
                label=label,
                headers={"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(_PAGE)},
            )
            page = [child for child in root if child.get("ratingKey")]
            found += page
            total = _int(root.get("totalSize"), -1)
            start += len(page)
            if len(page) < _PAGE or (total >= 0 and start >= total):
                return found

    def listing(self, section_id: int) -> dict[str, int]:
        """Collection name (case-folded) → ratingKey, every collection of a section (smart
        ones too: a name taken by hand is never ours)."""
        sid = int(section_id)
        found: dict[str, int] = {}
        for entry in self._paged(
            f"/library/sections/{sid}/all?type={COLLECTION_TYPE}",
            f"/library/sections/{sid}/all?type=18",
        ):
            title = entry.get("title") or ""
            found.setdefault(name_key(title), _int(entry.get("ratingKey")))
        return found

    def get(self, rating_key: int) -> CollectionSnapshot:
        """The collection with its preferences (plexapi `preferences()`: one GET)."""
        rk = int(rating_key)
        root = self.client.read_xml(
            f"/library/collections/{rk}?includePreferences=1",
            label="/library/collections/{rk}",
        )
        entry = next((c for c in root if c.get("ratingKey")), None)
        if entry is None:
            raise PlexNotFound(f"Plex: collection {rk} not found")
        sort = _int(entry.get("collectionSort"))
        for setting in entry.iter("Setting"):
            if setting.get("id") == "collectionSort":
                sort = _int(setting.get("value"), sort)
        locks = frozenset(
            f.get("name") or "" for f in entry.iter("Field") if f.get("locked") in ("1", "true")
        )
        return CollectionSnapshot(
            rating_key=rk,
            section_id=_int(entry.get("librarySectionID") or root.get("librarySectionID")),
            title=entry.get("title") or "",
            summary=entry.get("summary") or "",
            sort=sort,
            locks=locks,
            smart=entry.get("smart") in ("1", "true"),
        )

    def children(self, rating_key: int) -> list[int]:
        """The collection's items in its current order."""
        rk = int(rating_key)
        return [
            _int(c.get("ratingKey"))
            for c in self._paged(
                f"/library/collections/{rk}/children", "/library/collections/{rk}/children"
            )
        ]

    def selected_poster(self, rating_key: int) -> str | None:
        return self.client.selected_image(rating_key, "poster")

    # -- writes -------------------------------------------------------------------------------

    def edit(
        self, section_id: int, rating_key: int, values: Mapping[str, str], *, lock: bool = True
    ) -> None:
        """plexapi `editField` on a collection: `<f>.value` and `<f>.locked` per field, type 18."""
        params: dict[str, str] = {}
        for name, value in values.items():
            params[f"{name}.value"] = value
            params[f"{name}.locked"] = "1" if lock else "0"
        params["type"] = COLLECTION_TYPE
        params["id"] = str(int(rating_key))
        self.client.send(
            "PUT",
            f"/library/sections/{int(section_id)}/all?{encode_params(params)}",
            label="/library/sections/{id}/all?type=18",
        )

    def unlock(self, section_id: int, rating_keys: Iterable[int], names: Iterable[str]) -> None:
        """`<name>.locked=0` on several collections of a section at once (plexapi multiEdit)."""
        params = {f"{name}.locked": "0" for name in sorted(set(names))}
        params["type"] = COLLECTION_TYPE
        params["id"] = ",".join(str(int(k)) for k in rating_keys)
        self.client.send(
            "PUT",
            f"/library/sections/{int(section_id)}/all?{encode_params(params)}",
            label="/library/sections/{id}/all?type=18",
        )

    def upload_poster(self, rating_key: int, data: bytes) -> None:
        self.client.upload_image(rating_key, "poster", data)

    def custom_sort(self, rating_key: int) -> None:
        """The PUT half of plexapi `sortUpdate('custom')` (the GET is `get`)."""
        rk = int(rating_key)
        self.client.send(
            "PUT",
            f"/library/collections/{rk}/prefs?{urlencode({'collectionSort': CUSTOM_SORT})}",
            label="/library/collections/{rk}/prefs",
        )

    def move(self, rating_key: int, item: int, after: int | None) -> None:
        """plexapi `moveItem(item, after)`; no `after`: to the front."""
        path = f"/library/collections/{int(rating_key)}/items/{int(item)}/move"
        if after is not None:
            path += f"?after={int(after)}"
        self.client.send("PUT", path, label="/library/collections/{rk}/items/{id}/move")
