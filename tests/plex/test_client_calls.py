"""The client's calls against the Plex emulator: sections, item fetches, edits, uploads, scans,
the write throttle and the request counter.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest

from base.errors import ConfigError
from plex.client import PlexClient
from plex.items import PartFile
from sandbox.images import jpeg_bytes
from sandbox.plex_emu import PlexEmulator
from tests.plex.conftest import TOKEN


def test_sections_default_is_every_movie_type_section(client: PlexClient) -> None:
    sections = client.sections(None)
    assert [(s.id, s.title) for s in sections] == [(1, "Movies"), (2, "Clips")]
    clips = sections[1]
    assert clips.locations == ("D:\\Videos\\Clips",) and clips.agent == "tv.plex.agents.none"
    assert clips.style().windows and not sections[0].style().windows
    assert client.sections([]) == sections and client.sections("") == sections


def test_sections_by_title(client: PlexClient) -> None:
    assert [s.id for s in client.sections(["  clips ", "MOVIES"])] == [2, 1]
    assert [s.id for s in client.sections("movies, Clips")] == [1, 2]
    with pytest.raises(ConfigError) as unknown:
        client.sections(["Movies", "Films"])
    text = str(unknown.value)
    assert "'Films'" in text and "'Movies'" in text and "'Clips'" in text
    assert "plex_library" in text
    with pytest.raises(ConfigError) as show:
        client.sections(["TV Shows"])
    assert "show" in str(show.value)


def test_duplicate_titles_all_used(emu: PlexEmulator, client: PlexClient) -> None:
    emu.add_section("movies", ["/media/more"])
    assert [s.id for s in client.sections(["Movies"])] == [1, 4]


def test_fetch_items_batches_and_parses(emu: PlexEmulator, client: PlexClient) -> None:
    keys = [
        emu.add_item(
            1, [f"/media/movies/f{i}.mkv"], sizes={f"/media/movies/f{i}.mkv": i}
        ).rating_key
        for i in range(250)
    ]
    rich = emu.add_item(
        2,
        [["D:\\Videos\\Clips\\a - cd1.mp4", "D:\\Videos\\Clips\\a - cd2.mp4"]],
        title="Rich & <Co>",
        summary="line 1\nline 2",
        studio="Studio",
        originally_available_at="2021-03-04",
        year=2021,
        user_rating=8.0,
        content_rating="R",
        tags={
            "genre": ["G1", "G2", "G3", "G4"],
            "actor": ["A1", "A2", "A3", "A4"],
            "collection": ["C1"],
            "label": ["L1"],
        },
        locked={"title", "genre"},
    )
    emu.log.clear()
    found = client.fetch_items(keys)
    assert set(found) == set(keys)
    assert emu.log.count("GET /library/metadata/{keys}") == 3  # 100 + 100 + 50
    assert found[keys[7]].files == (PartFile("/media/movies/f7.mkv", 7),)
    assert found[keys[7]].section_id == 1

    snap = client.fetch_item(rich.rating_key)
    assert snap.section_id == 2
    assert (snap.title, snap.summary, snap.studio) == ("Rich & <Co>", "line 1\nline 2", "Studio")
    assert (snap.originally_available_at, snap.year, snap.user_rating) == ("2021-03-04", 2021, 8.0)
    assert snap.content_rating == "R"
    assert snap.genres == ("G1", "G2", "G3", "G4") and snap.actors == ("A1", "A2", "A3", "A4")
    assert snap.collections == ("C1",) and snap.labels == ("L1",)
    assert snap.locked == frozenset({"title", "genre"})
    assert [p.file for p in snap.files] == [
        "D:\\Videos\\Clips\\a - cd1.mp4",
        "D:\\Videos\\Clips\\a - cd2.mp4",
    ]
    state = snap.to_state()
    assert state.fields["studio"] == "Studio" and list(state.tags["actor"]) == [
        "A1",
        "A2",
        "A3",
        "A4",
    ]


def test_put_edit_applies_and_counts(emu: PlexEmulator, client: PlexClient) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    snap = client.fetch_item(item.rating_key)
    # plexapi's wire form: keys raw and sorted, values quote(safe="").
    params = {
        "genre.locked": "1",
        "genre[0].tag.tag": "Tag, with comma",
        "genre[1].tag.tag": "100% pure",
        "id": str(snap.rating_key),
        "studio.locked": "1",
        "studio.value": "Ünï & Co",
        "type": "1",
    }
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))
    client.put_edit(snap.section_id, query)
    after = emu.item(item.rating_key)
    assert after.studio == "Ünï & Co"
    assert after.tags["genre"] == ["Tag, with comma", "100% pure"]
    assert {"studio", "genre"} <= after.locked
    assert client.requests_made.read == 1 and client.requests_made.write == 1
    assert client.requests_made.total == 2


def test_upload_image(emu: PlexEmulator, client: PlexClient) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    data = jpeg_bytes(7)
    client.upload_image(item.rating_key, "poster", data)
    client.upload_image(item.rating_key, "art", data[::-1])
    after = emu.item(item.rating_key)
    assert after.selected_poster == f"upload://posters/{hashlib.sha1(data).hexdigest()}"
    assert after.selected_art == f"upload://arts/{hashlib.sha1(data[::-1]).hexdigest()}"
    assert emu.log.records[-2].body_sha1 == hashlib.sha1(data).hexdigest()
    with pytest.raises(ValueError):
        client.upload_image(item.rating_key, "banner", data)


@pytest.mark.parametrize(
    ("section", "folder"),
    [(1, "/media/movies/Fïlm 1 (2001) & more+"), (2, "D:\\Videos\\Clips\\Sub Folder")],
)
def test_scan_folder(emu: PlexEmulator, client: PlexClient, section: int, folder: str) -> None:
    sep = "\\" if section == 2 else "/"
    emu.add_disk_file(folder + sep + "new.mp4", 123)
    client.scan_folder(section, folder)
    event = emu.scan_events[-1]
    assert (event.section_id, event.path, event.accepted) == (section, folder, True)
    assert emu.run_scans() == 1
    assert client.requests_made.write == 1


def test_write_throttle(emu: PlexEmulator, data_dir: Path) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = PlexClient(
        emu.url, TOKEN, data_dir=data_dir, write_delay_ms=250, clock=lambda: now[0], sleep=sleep
    )
    edit = f"id={item.rating_key}&studio.value=S&type=1"
    client.put_edit(1, edit)  # first write: nothing to wait for
    client.fetch_items([item.rating_key])  # reads are never throttled
    now[0] += 0.1
    client.put_edit(1, edit)
    client.scan_folder(1, "/media/movies")
    assert slept == [pytest.approx(0.15), pytest.approx(0.25)]
    assert client.requests_made.write == 3 and client.requests_made.read == 1


def test_no_throttle_by_default(emu: PlexEmulator, data_dir: Path) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"])
    slept: list[float] = []
    client = PlexClient(emu.url, TOKEN, data_dir=data_dir, sleep=slept.append)
    for _ in range(3):
        client.put_edit(1, f"id={item.rating_key}&studio.value=S&type=1")
    assert slept == []


def test_control_characters_are_cleaned_like_plexapi(emu: PlexEmulator, client: PlexClient) -> None:
    item = emu.add_item(1, ["/media/movies/a.mkv"], summary="bell\x07 and nul\x00 end")
    # PMS emits such characters raw: the XML is invalid until they are stripped (plexapi 4.17+)
    assert client.fetch_item(item.rating_key).summary == "bell and nul end"
    page = client.list_page(1, 0, 10)
    assert page.total_size == 1 and page.items[0].summary_head == "bell and nul end"
