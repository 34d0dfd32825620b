"""The Plex emulator under the real plexapi 4.18: connecting, reading, paging, faults.

Every test talks HTTP to a loopback `PlexEmulator`; request counts come from its request log.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.server import PlexServer

from sandbox.httpd import Fault
from sandbox.model import PlexItem
from sandbox.plex_emu import PlexEmulator

LIST = "GET /library/sections/{id}/all"


@pytest.fixture(scope="module")
def plex_big() -> Iterator[PlexEmulator]:
    """10,000 items in section 1 (titles shuffled so sorting is observable)."""
    emu = PlexEmulator()
    emu.add_section("Big", ["/big"])
    for i in range(10_000):
        n = (i * 7919) % 10_000
        emu.add_item(
            1,
            [f"/big/d{n % 50}/clip {n:05d}.mp4"],
            title=f"Clip {n:05d}",
            tags={"genre": ["G1", "G2", "G3"], "actor": ["A", "B", "C", "D"]},
        )
    with emu:
        yield emu


def _movie(emu: PlexEmulator, name: str = "Film", **fields: object) -> PlexItem:
    return emu.add_item(1, [f"/media/movies/{name}/{name} (2020).mkv"], **fields)


# -- connecting and reading -------------------------------------------------------------------


def test_connect_identity_and_sections(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    assert plex_client.machineIdentifier == plex_emu.library.machine_identifier
    assert plex_client.version == plex_emu.library.version
    ident = requests.get(f"{plex_emu.url}/identity", timeout=5)  # no token needed
    assert ident.status_code == 200 and ident.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert ident.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert plex_client.identity().claimed is True
    sections = {s.key: s for s in plex_client.library.sections()}
    assert sections[1].type == "movie" and sections[1].locations == ["/media/movies"]
    clips = sections[2]
    assert clips.locations == ["D:\\Videos\\Clips", "\\\\NAS\\share\\clips"]
    assert (clips.agent, clips.scanner, clips.language) == (
        "tv.plex.agents.none",
        "Plex Video Files",
        "xn",
    )
    assert clips.refreshing is False
    assert plex_client.query("/library/sections/")[0].attrib["key"] == "1"  # trailing slash works


def test_bad_missing_and_revoked_tokens(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    with pytest.raises(Unauthorized):
        PlexServer(plex_emu.url, "wrong-token", timeout=5)
    bare = requests.get(f"{plex_emu.url}/library/sections", timeout=5)
    assert bare.status_code == 401 and b"401 Unauthorized" in bare.content
    by_query = requests.get(
        f"{plex_emu.url}/library/sections?X-Plex-Token={plex_emu.token}", timeout=5
    )
    assert by_query.status_code == 200
    assert all(("X-Plex-Token", plex_emu.token) not in r.query for r in plex_emu.log.records)
    plex_emu.revoke_token()
    with pytest.raises(Unauthorized):
        plex_client.query("/library/sections")
    plex_emu.set_token("fresh")
    assert PlexServer(plex_emu.url, "fresh", timeout=5).machineIdentifier


def test_read_only_token_reads_but_cannot_write(plex_emu: PlexEmulator) -> None:
    item = _movie(plex_emu)
    plex_emu.add_read_only_token("guest")
    guest = PlexServer(plex_emu.url, "guest", timeout=5)
    assert [s.key for s in guest.library.sections()] == [1, 2]  # via the /library fallback
    assert plex_emu.log.records[-3].route == "GET /library"
    assert plex_emu.log.records[-3].status == 403
    movie = guest.fetchItem(item.rating_key)
    with pytest.raises(BadRequest, match=r"\(403\)") as err:
        movie.editTitle("nope")
    assert not isinstance(err.value, Unauthorized)
    assert plex_emu.item(item.rating_key).title == "Film"


# -- listings ---------------------------------------------------------------------------------


def test_page_10k_with_plexapi_search(plex_big: PlexEmulator) -> None:
    plex_client = PlexServer(plex_big.url, plex_big.token, timeout=10)
    section = plex_client.library.sectionByID(1)
    plex_big.log.clear()
    items = section.search(container_size=2000)
    assert len(items) == 10_000
    assert plex_big.log.count(LIST) == 5
    starts = [r.headers["X-Plex-Container-Start"] for r in plex_big.log.records]
    assert starts == ["0", "2000", "4000", "6000", "8000"]
    assert [i.title for i in items] == [f"Clip {n:05d}" for n in range(10_000)]
    assert len({i.ratingKey for i in items}) == 10_000
    assert items[0].librarySectionID == 1
    assert section.totalViewSize() == 10_000


def test_page_10k_raw_with_excludes(plex_big: PlexEmulator) -> None:
    plex_client = PlexServer(plex_big.url, plex_big.token, timeout=10)
    key = (
        "/library/sections/1/all?type=1&includeGuids=0"
        "&excludeElements=Genre,Role,Guid,Image&excludeFields=summary,tagline"
    )
    files, start, total = [], 0, None
    listings_before = plex_big.log.count("GET /library/sections/{id}/all")
    while total is None or start < total:
        root = plex_client.query(
            key, headers={"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": "2000"}
        )
        total = int(root.attrib["totalSize"])
        assert root.attrib["offset"] == str(start) and root.attrib["librarySectionID"] == "1"
        assert root.find("Video/Genre") is None and root.find("Video/Role") is None
        files += [p.attrib["file"] for p in root.iter("Part")]
        start += 2000
    assert len(set(files)) == 10_000
    listings = plex_big.log.count("GET /library/sections/{id}/all") - listings_before
    assert listings == 5  # speed lives in bench/, not in timed tests
    # query parameters win over headers; no paging at all -> everything, no totalSize
    root = plex_client.query(
        "/library/sections/1/all?X-Plex-Container-Start=9998&X-Plex-Container-Size=5",
        headers={"X-Plex-Container-Start": "0"},
    )
    assert root.attrib["size"] == "2" and root.attrib["totalSize"] == "10000"
    plain = plex_client._session.get(
        f"{plex_big.url}/library/sections/1/all?type=1&excludeElements=Genre,Role,Media,Image",
        headers={"X-Plex-Token": plex_big.token},
    )
    unpaged = ET.fromstring(plain.content)
    assert len(unpaged) == 10_000 and "totalSize" not in unpaged.attrib


def test_listing_truncates_tags_filters_and_guids(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    tags = {
        "genre": ["G1", "G2", "G3", "G4"],
        "actor": ["R1", "R2", "R3", "R4"],
        "label": ["stash"],
        "collection": ["C1"],
    }
    item = _movie(plex_emu, "Alpha", tags=tags, locked={"title"}, guids=["imdb://tt1"])
    _movie(plex_emu, "Beta")
    root = plex_client.query("/library/sections/1/all?includeGuids=1&title=alp")
    assert root.attrib["size"] == "1"
    video = root[0]
    assert [g.attrib["tag"] for g in video.findall("Genre")] == ["G1", "G2"]
    assert len(video.findall("Role")) == 3 and video.find("Label") is None
    assert video.find("Field") is None and video.find("Guid").attrib["id"] == "imdb://tt1"
    assert "librarySectionID" not in video.attrib  # listing items get it from the container
    assert plex_client.query("/library/sections/1/all?type=2").attrib["size"] == "0"
    full = plex_client.fetchItem(item.rating_key)
    assert [g.tag for g in full.genres] == tags["genre"]
    assert [r.tag for r in full.roles] == tags["actor"]
    assert [lab.tag for lab in full.labels] == ["stash"]
    assert full.isLocked("title") and full.guids[0].id == "imdb://tt1"
    assert full.genres[0].filter == f"genre={full.genres[0].id}"
    assert full.roles[0].filter.startswith("actor=")
    plex_emu.listing_tag_limits["Genre"] = 4
    plex_emu.listing_includes_fields = True
    video = plex_client.query("/library/sections/1/all?title=alp")[0]
    assert len(video.findall("Genre")) == 4 and video.find("Field") is not None
    assert video.find("Guid") is None  # includeGuids absent


def test_fetch_single_multi_and_unknown(plex_emu: PlexEmulator, plex_client: PlexServer) -> None:
    b, a = _movie(plex_emu, "B"), _movie(plex_emu, "A")
    plex_emu.log.clear()
    assert [m.title for m in plex_client.library.sectionByID(1).all()] == ["A", "B"]
    assert ("type", "1") in plex_emu.log.records[-1].query
    item = plex_client.fetchItem(a.rating_key)
    assert item.title == "A" and item.librarySectionID == 1
    assert item.locations == ["/media/movies/A/A (2020).mkv"] and item.year == 2020
    both = plex_client.fetchItems([a.rating_key, 999_999, b.rating_key])
    assert [m.ratingKey for m in both] == [a.rating_key, b.rating_key]
    with pytest.raises(NotFound):
        plex_client.fetchItem(999_999)
    with pytest.raises(NotFound):
        plex_client.query("/library/nothing/here")
    with pytest.raises(NotFound):
        plex_client.query("/library/sections/77/all")


# -- faults -----------------------------------------------------------------------------------


def test_transport_faults_map_to_plexapi_errors(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    _movie(plex_emu)
    plex_emu.knobs.add_fault(Fault("status", status=503, path_regex=r"/all$"))
    with pytest.raises(BadRequest, match=r"\(503\)"):
        plex_client.library.sectionByID(1).all()
    plex_emu.knobs.add_fault(Fault("hang", hang_s=1.0))
    quick = PlexServer.__new__(PlexServer)
    quick.__dict__.update(plex_client.__dict__)
    quick._timeout = 0.2
    with pytest.raises(requests.exceptions.ReadTimeout):
        quick.query("/library/sections")
    plex_emu.server.go_down()
    with pytest.raises(requests.exceptions.ConnectionError):
        plex_client.query("/library/sections")
    plex_emu.server.come_up()
    assert plex_client.query("/identity").attrib["machineIdentifier"]


def test_listing_faults_total_size_and_short_page(
    plex_emu: PlexEmulator, plex_client: PlexServer
) -> None:
    for i in range(5):
        _movie(plex_emu, f"M{i}")
    section = plex_client.library.sectionByID(1)
    plex_emu.omit_total_size = True
    assert len(section.search(container_size=2)) == 2  # plexapi stops after the first page
    plex_emu.omit_total_size = False
    plex_emu.short_page = 1
    root = plex_client.query(
        "/library/sections/1/all",
        headers={"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "3"},
    )
    assert (root.attrib["size"], root.attrib["totalSize"]) == ("1", "5")
    plex_emu.short_page = None
    plex_emu.per_item_latency_s = 0.02
    started = time.perf_counter()
    assert len(section.search(container_size=10)) == 5
    assert time.perf_counter() - started >= 0.1  # 5 items x 20 ms
