"""The Plex emulator under the real plexapi 4.18: edits, tags, locks, images and scans.

Every test talks HTTP to a loopback `PlexEmulator` and checks both the stored item and what
plexapi reads back; request counts come from the emulator's request log.
"""

from __future__ import annotations

import hashlib
import io

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound
from plexapi.server import PlexServer
from plexapi.video import Movie

from sandbox.httpd import wait_until
from sandbox.images import jpeg_bytes, png_bytes
from sandbox.model import PlexItem
from sandbox.plex_emu import PlexEmulator
from tests.sandbox.conftest import PLEX_T0, PlexClock

EDIT = "PUT /library/sections/{id}/all"


def _full(plex_client: PlexServer, rating_key: int) -> Movie:
    return plex_client.fetchItem(f"/library/metadata/{rating_key}?includeFields=1")


def _movie(emu: PlexEmulator, name: str = "Film", **fields: object) -> PlexItem:
    return emu.add_item(1, [f"/media/movies/{name}/{name} (2020).mkv"], **fields)


# -- edits ------------------------------------------------------------------------------------


def test_edit_fields_and_locks(
    plex_emu: PlexEmulator, plex_client: PlexServer, plex_clock: PlexClock
) -> None:
    item = _movie(plex_emu, summary="old")
    movie = plex_client.fetchItem(item.rating_key)
    plex_clock.now += 100
    movie.editTitle('New & "Tïtle" <1>').editSummary("", locked=False)
    movie.editOriginallyAvailable("2021-03-04").editField("year", 2019)
    movie.editUserRating(8).editStudio("Studio X").editSortTitle("sort me")
    movie.reload()
    assert movie.title == 'New & "Tïtle" <1>' and movie.summary is None
    assert movie.originallyAvailableAt.strftime("%Y-%m-%d") == "2021-03-04"
    assert (movie.year, movie.userRating, movie.studio, movie.titleSort) == (
        2019,
        8.0,
        "Studio X",
        "sort me",
    )
    assert {f.name for f in movie.fields} == {
        "title",
        "originallyAvailableAt",
        "year",
        "userRating",
        "studio",
        "titleSort",
    }
    assert movie.updatedAt.timestamp() == PLEX_T0 + 100
    movie.editTitle("Unlocked", locked=False).reload()
    assert not movie.isLocked("title") and movie.title == "Unlocked"


def test_batch_edit_is_one_put(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    item = _movie(plex_emu, tags={"label": ["old"]})
    movie = plex_client.fetchItem(item.rating_key)
    plex_emu.log.clear()
    movie.batchEdits()
    movie.editTitle("T2").editSummary("S2").addGenre("Drama").removeLabel("old")
    movie.saveEdits()
    assert plex_emu.log.count(EDIT) == 1
    stored = plex_emu.item(item.rating_key)
    assert (stored.title, stored.summary, stored.tags) == ("T2", "S2", {"genre": ["Drama"]})
    assert stored.locked == {"title", "summary", "genre", "label"}
    put = plex_client._session.put  # the item route takes the same parameters (type optional)
    plex_client.query(f"/library/metadata/{item.rating_key}?studio.value=S%26Co", method=put)
    assert plex_emu.item(item.rating_key).studio == "S&Co"


def test_tags_with_special_names(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    item = _movie(plex_emu, tags={"genre": ["Action"]})
    movie = _full(plex_client, item.rating_key)
    odd = ["A,B", 'Say "hi"', "100% Pure", "Science Fiction", "x&y<z>", "😀 emoji"]
    movie.addGenre(odd).reload()
    assert [g.tag for g in movie.genres] == ["Action", *odd]
    movie.removeGenre(["a,b", "100% PURE", "Science Fiction", 'say "HI"']).reload()
    assert [g.tag for g in movie.genres] == ["Action", "x&y<z>", "😀 emoji"]
    movie.editTags("actor", ["Jane Doe"]).addCollection("Studio X").reload()
    assert [r.tag for r in movie.roles] == ["Jane Doe"]
    movie.addGenre("ACTION").reload()  # case-insensitive: no duplicate
    assert [g.tag for g in movie.genres].count("Action") == 1
    assert movie.isLocked("genre") and movie.isLocked("actor")


def test_tag_modes_replace_and_capitalise(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    item = _movie(plex_emu, tags={"genre": ["Old", "Keep"]})
    plex_emu.tag_add_mode = "replace"
    plex_emu.capitalize_new_tags = True
    query = (
        f"/library/sections/1/all?type=1&id={item.rating_key}&genre%5B0%5D.tag.tag=keep"
        "&genre%5B1%5D.tag.tag=new%20one&genre%5B%5D.tag.tag-=Keep"
    )
    plex_client.query(query, method=plex_client._session.put)
    # adds replace the list, then the removal drops "Keep"; the new tag is capitalised
    assert plex_emu.item(item.rating_key).tags["genre"] == ["New one"]
    plex_emu.tag_add_mode = "append"
    plex_emu.removes_before_adds = True
    plex_client.query(query, method=plex_client._session.put)
    assert plex_emu.item(item.rating_key).tags["genre"] == ["New one", "Keep"]


def test_actor_role_text_and_multi_item_edit(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    items = [_movie(plex_emu, f"M{i}") for i in range(3)]
    section = plex_client.library.sectionByID(1)
    movies = plex_client.fetchItems([i.rating_key for i in items])
    plex_emu.log.clear()
    section.multiEdit(movies, **{"collection[0].tag.tag": "Box", "collection.locked": 1})
    assert plex_emu.log.count(EDIT) == 1
    assert ("id", ",".join(str(i.rating_key) for i in items)) in plex_emu.log.records[0].query
    assert all(plex_emu.item(i.rating_key).tags["collection"] == ["Box"] for i in items)
    movies[0].edit(**{"actor[0].tag.tag": "Jane", "actor[0].tagging.text": "Herself"})
    role = _full(plex_client, items[0].rating_key).roles[0]
    assert (role.tag, role.role) == ("Jane", "Herself")


def test_section_wide_lock_without_id(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    items = [_movie(plex_emu, f"M{i}") for i in range(3)]
    plex_client.library.sectionByID(1).lockAllField("thumb")
    assert all(plex_emu.item(i.rating_key).locked == {"thumb"} for i in items)
    plex_client.library.sectionByID(1).unlockAllField("thumb")
    assert all(not plex_emu.item(i.rating_key).locked for i in items)


def test_bad_edits_are_refused_and_change_nothing(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    item = _movie(plex_emu)
    movie = plex_client.fetchItem(item.rating_key)
    with pytest.raises(BadRequest, match=r"\(400\)"):
        movie.edit(**{"title.value": "changed", "bogus.value": "x"})
    with pytest.raises(BadRequest, match=r"\(400\)"):
        movie.editOriginallyAvailable("2021-02-30")
    with pytest.raises(BadRequest, match=r"\(400\)"):
        plex_client.query(
            f"/library/sections/1/all?id={item.rating_key}&title.value=x",
            method=plex_client._session.put,
        )  # no type in strict mode
    assert plex_emu.item(item.rating_key).title == "Film"
    other = plex_emu.add_item(2, ["D:\\Videos\\Clips\\c.mp4"])
    with pytest.raises(NotFound):
        plex_client.query(
            f"/library/sections/1/all?type=1&id={other.rating_key}&title.value=x",
            method=plex_client._session.put,
        )
    plex_emu.strict = False
    movie.edit(**{"title.value": "changed", "bogus.value": "x"})
    assert plex_emu.item(item.rating_key).title == "changed"
    plex_emu.edit_silently_ignored = True
    movie.editTitle("ignored")
    assert plex_emu.item(item.rating_key).title == "changed"


def test_refresh_resets_unlocked_fields_only(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    item = _movie(
        plex_emu, agent_values={"title": "Agent T", "summary": "Agent S", "genre": ["Agent G"]}
    )
    movie = plex_client.fetchItem(item.rating_key)
    movie.editTitle("Mine").editSummary("Mine too", locked=False).addGenre("Mine")
    movie.refresh()
    stored = plex_emu.item(item.rating_key)
    assert (stored.title, stored.summary, stored.tags["genre"]) == ("Mine", "Agent S", ["Mine"])
    assert plex_emu.log.count("PUT /library/metadata/{rk}/refresh") == 1
    plex_emu.item(item.rating_key).agent_values["summary"] = "Agent S2"
    plex_client.library.sectionByID(1).refresh()  # GET .../refresh?force=1: scan + agent
    assert plex_emu.item(item.rating_key).summary == "Agent S"
    plex_emu.run_scans()
    assert plex_emu.item(item.rating_key).summary == "Agent S2"


# -- images -----------------------------------------------------------------------------------


def test_upload_select_and_serve_posters(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    item = _movie(plex_emu)
    movie = plex_client.fetchItem(item.rating_key)
    first, second = jpeg_bytes(1), png_bytes(2)
    movie.uploadPoster(filepath=io.BytesIO(first))
    movie.uploadPoster(filepath=io.BytesIO(second))
    movie.uploadPoster(filepath=io.BytesIO(second))  # same bytes: no new resource
    movie.reload()
    assert movie.thumb.startswith(f"/library/metadata/{item.rating_key}/thumb/")
    assert movie.isLocked("thumb")
    got = requests.get(movie.thumbUrl, timeout=5)
    assert got.content == second and got.headers["Content-Type"] == "image/png"
    posters = movie.posters()
    assert [p.selected for p in posters] == [False, True]
    assert posters[0].ratingKey.startswith("upload://posters/")
    movie.setPoster(posters[0])
    assert (
        requests.get(plex_client.url(movie.reload().thumb, includeToken=True), timeout=5).content
        == first
    )
    assert (
        requests.get(plex_client.url(posters[1].key, includeToken=True), timeout=5).content
        == second
    )
    movie.uploadArt(filepath=io.BytesIO(jpeg_bytes(3)))
    assert movie.reload().isLocked("art") and movie.arts()[0].selected
    assert plex_emu.log.count("POST /library/metadata/{rk}/posters") == 3
    with pytest.raises(BadRequest, match=r"\(400\)"):
        plex_client.query(
            f"/library/metadata/{item.rating_key}/posters", method=plex_client._session.post
        )


def test_url_uploads_are_recorded_or_fetched(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    source, target = _movie(plex_emu, "Source"), _movie(plex_emu, "Target")
    src = plex_client.fetchItem(source.rating_key)
    src.uploadPoster(filepath=io.BytesIO(jpeg_bytes("src")))
    url = plex_client.url(src.reload().thumb, includeToken=True)
    movie = plex_client.fetchItem(target.rating_key)
    movie.uploadPoster(url="http://203.0.113.9/cover.jpg")  # recorded, never fetched
    assert movie.posters()[0].ratingKey == "http://203.0.113.9/cover.jpg"
    assert requests.get(movie.reload().thumbUrl, timeout=5).status_code == 404
    plex_emu.fetch_upload_urls = True
    movie.uploadPoster(url=url)  # PMS downloads it itself
    assert requests.get(movie.reload().thumbUrl, timeout=5).content == jpeg_bytes("src")


# -- scans ------------------------------------------------------------------------------------


def test_partial_scan_creates_pending_file(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    old = _movie(plex_emu)
    plex_emu.add_disk_file("/media/movies/Fïlm 1 (2001)/Fïlm 1 (2001).mp4", 1234)
    plex_emu.add_disk_file("/media/movies/Other/other.mp4", 5)
    section = plex_client.library.sectionByID(1)
    section.update(path="/media/movies/Fïlm 1 (2001)")
    assert plex_client.query("/library/sections")[0].attrib["refreshing"] == "1"
    assert len(section.search(title="Fïlm")) == 0
    assert plex_emu.run_scans() == 1
    assert plex_client.query("/library/sections")[0].attrib["refreshing"] == "0"
    new = section.search(title="Fïlm")[0]
    assert (new.title, new.year, new.guid) == ("Fïlm 1", 2001, f"local://{new.ratingKey}")
    assert new.ratingKey > old.rating_key and new.media[0].parts[0].size == 1234
    assert "/media/movies/Other/other.mp4" in plex_emu.library.disk_files
    section.update(path="/elsewhere/x")  # outside every location: accepted, nothing queued
    assert plex_emu.scan_events[-1].accepted is False and not plex_emu.pending_scans


def test_windows_scan_paths_and_immediate_scans(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    plex_emu.scan_delay_s = 0
    plex_emu.add_disk_file("D:\\Videos\\Clips\\Sub\\Clip A.MP4", 10)
    section = plex_client.library.sectionByID(2)
    section.update(path="D:/Videos/Clips/Sub")  # not Plex's own syntax: outside every location
    assert plex_emu.scan_events[-1].accepted is False
    section.update(path="d:\\videos\\clips\\SUB")  # sent as %5C; case-insensitive on Windows
    assert plex_emu.scan_events[-1].accepted is True
    created = plex_client.library.sectionByID(2).search(title="clip a")
    assert [c.locations for c in created] == [["D:\\Videos\\Clips\\Sub\\Clip A.MP4"]]
    assert not plex_emu.library.disk_files


def test_scan_delay_timer_and_moved_file(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    old = _movie(plex_emu, "Moved")
    plex_emu.remove_missing_on_scan = True
    plex_emu.scan_delay_s = 0.05
    plex_emu.remove_disk_file(old.files()[0])
    plex_emu.add_disk_file("/media/movies/New Place/Moved (2020).mkv", 99)
    plex_client.library.update()  # GET /library/sections/all/refresh
    assert wait_until(lambda: not plex_emu.pending_scans, timeout=3)
    keys = {i.rating_key: i for i in plex_emu.library.items.values()}
    assert old.rating_key not in keys
    (moved,) = [i for i in keys.values() if i.title == "Moved"]
    assert moved.rating_key > old.rating_key


def test_cancel_and_stalled_scans(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    plex_emu.add_disk_file("/media/movies/a.mkv", 1)
    plex_emu.scans_stall = True
    plex_client.library.sectionByID(1).update()
    assert plex_emu.run_scans() == 0
    plex_client.library.sectionByID(1).cancelUpdate()
    assert plex_client.query("/library/sections")[0].attrib["refreshing"] == "0"
    plex_emu.scans_stall = False
    assert plex_emu.run_scans() == 0 and "/media/movies/a.mkv" in plex_emu.library.disk_files


# -- issue 15: normalisation and uploads that do not apply -------------------------------------


def test_normalising_mode_derives_the_year_drops_its_lock_and_rounds_ratings(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    item = _movie(plex_emu)
    movie = plex_client.fetchItem(item.rating_key)
    plex_emu.normalise_values = True
    movie.edit(
        **{
            "originallyAvailableAt.value": "2019-04-03",
            "originallyAvailableAt.locked": 1,
            "year.value": 1999,  # ignored: the year follows the date
            "year.locked": 1,  # never reported
            "userRating.value": 8.5,
            "userRating.locked": 1,
        }
    )
    movie.reload()
    locked = {f.name for f in movie.fields if f.locked}
    assert (movie.year, movie.userRating) == (2019, 9.0)
    assert "year" not in locked and {"originallyAvailableAt", "userRating"} <= locked
    plex_emu.normalise_values = False  # the default keeps what was sent
    movie.edit(**{"year.value": 1999, "year.locked": 1, "userRating.value": 8.5})
    movie.reload()
    assert (movie.year, movie.userRating) == (1999, 8.5)
    assert "year" in {f.name for f in movie.fields if f.locked}


def test_an_upload_that_does_not_apply_is_listed_but_not_selected(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    item = _movie(plex_emu)
    movie = plex_client.fetchItem(item.rating_key)
    data = jpeg_bytes("not applied")
    sha1 = hashlib.sha1(data).hexdigest()
    plex_emu.unapplied_uploads = 1

    movie.uploadPoster(filepath=io.BytesIO(data))  # answers 200
    mine = [p for p in movie.posters() if p.ratingKey == f"upload://posters/{sha1}"]
    assert [p.selected for p in mine] == [False]

    movie.uploadPoster(filepath=io.BytesIO(data))  # the next one applies
    mine = [p for p in movie.posters() if p.ratingKey == f"upload://posters/{sha1}"]
    assert [p.selected for p in mine] == [True]
