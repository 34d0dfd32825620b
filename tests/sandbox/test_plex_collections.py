"""The Plex emulator's collections under plexapi 4.18's own `Collection` methods (issue 19):
created by a tag push, listed with `section.collections()`, edited (type 18), poster upload,
`sortUpdate('custom')` (its GET and PUT), `moveItem`, and a rename renaming the items' tag.
"""

from __future__ import annotations

import hashlib
import io

from plexapi.collection import Collection
from plexapi.server import PlexServer

from sandbox.images import jpeg_bytes
from sandbox.plex_emu import PlexEmulator
from sandbox.plex_emu.collections import add_collection


def _films(emu: PlexEmulator, n: int) -> list[int]:
    return [
        emu.add_item(1, [f"/media/movies/F{i}/F{i} (2020).mkv"], title=f"Film {i}").rating_key
        for i in range(n)
    ]


def test_tag_push_creates_a_collection_plexapi_reads(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    keys = _films(plex_emu, 3)
    section = plex_client.library.sectionByID(1)
    assert section.collections() == []
    for rk in keys:
        plex_client.fetchItem(rk).addCollection("Series A")
    [coll] = section.collections()
    assert isinstance(coll, Collection)
    got = (coll.title, coll.childCount, coll.smart, coll.collectionSort)
    assert got == ("Series A", 3, False, 0)
    assert sorted(i.ratingKey for i in coll.items()) == sorted(keys)
    assert coll.key == f"/library/collections/{coll.ratingKey}"
    # The same object through /library/metadata (plexapi fetchItem of a ratingKey).
    assert plex_client.fetchItem(coll.ratingKey).title == "Series A"


def test_edit_upload_sort_and_move_like_plexapi(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    keys = _films(plex_emu, 4)
    for rk in keys:
        plex_client.fetchItem(rk).addCollection("Series B")
    coll = plex_client.library.sectionByID(1).collection("Series B")
    coll.editSummary("The synopsis")
    poster = jpeg_bytes(seed=7)
    coll.uploadPoster(filepath=io.BytesIO(poster))
    plex_emu.log.clear()
    coll.sortUpdate("custom")
    assert [r.route for r in plex_emu.log.records] == [
        "GET /library/collections/{rk}",
        "PUT /library/collections/{rk}/prefs",
    ]
    items = coll.items()
    coll.moveItem(items[3])  # to the front
    coll.moveItem(items[0], after=items[1])
    coll.reload()
    assert coll.summary == "The synopsis" and coll.collectionSort == 2
    assert {f.name for f in coll.fields} == {"summary", "thumb"}
    selected = next(p for p in coll.posters() if p.selected)
    assert selected.ratingKey.endswith(hashlib.sha1(poster).hexdigest())
    order = [i.ratingKey for i in plex_client.fetchItem(coll.ratingKey).items()]
    assert order == [keys[3], keys[1], keys[0], keys[2]]


def test_title_edit_renames_the_items_tag_and_hand_made_ones_exist(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    keys = _films(plex_emu, 2)
    hand = add_collection(plex_emu, 1, "Mine", [keys[0]], summary="my words")
    plex_client.fetchItem(keys[1]).addCollection("Old Name")
    coll = plex_client.library.sectionByID(1).collection("Old Name")
    coll.editTitle("New Name")
    assert [c.tag for c in plex_client.fetchItem(keys[1]).collections] == ["New Name"]
    mine = plex_client.fetchItem(hand)
    assert (mine.title, mine.summary) == ("Mine", "my words")
    titles = sorted(c.title for c in plex_client.library.sectionByID(1).collections())
    assert titles == ["Mine", "New Name"]
