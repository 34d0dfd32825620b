"""The Plex emulator answers like the real PMS captures in ../shared/fixtures/plex/.

For each capture the emulator is seeded with the same data, asked the same endpoint, and both
documents are parsed with plexapi 4.18; what the project reads must agree in presence and type
(and in value wherever the seed mirrors the capture).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from plexapi import media
from plexapi.base import PlexObject
from plexapi.library import LibrarySection, MovieSection, MusicSection, PhotoSection, ShowSection
from plexapi.server import Identity, PlexServer

from sandbox.images import jpeg_bytes
from sandbox.model import PLEX_TAG_ELEMENTS
from sandbox.plex_emu import PlexEmulator

VIDEO_ATTRS = (
    "ratingKey",
    "key",
    "title",
    "titleSort",
    "summary",
    "studio",
    "year",
    "originallyAvailableAt",
    "contentRating",
    "userRating",
    "thumb",
    "art",
    "librarySectionID",
    "addedAt",
    "updatedAt",
)
TAG_LISTS = ("genres", "roles", "collections", "directors", "writers", "countries", "producers")
CONTAINER_ATTRS = (
    "size",
    "totalSize",
    "offset",
    "librarySectionID",
    "librarySectionUUID",
    "librarySectionTitle",
    "identifier",
)
RAW_CONTAINER_ATTRS = ("title1", "title2", "viewGroup", "librarySectionTitle")
SECTION_CLASSES = {
    "movie": MovieSection,
    "show": ShowSection,
    "artist": MusicSection,
    "photo": PhotoSection,
}
ELEMENT_KINDS = {element: kind for kind, element in PLEX_TAG_ELEMENTS.items()}


@pytest.fixture
def plex_fid_emu() -> Iterator[PlexEmulator]:
    with PlexEmulator() as emu:
        yield emu


def _fixture(shared_dir: Path, name: str) -> ET.Element:
    return ET.parse(shared_dir / "fixtures" / "plex" / name).getroot()


def _connect(emu: PlexEmulator) -> PlexServer:
    return PlexServer(emu.url, emu.token, timeout=5)


def _same(real: Any, emu: Any, names: tuple[str, ...], *, values: bool = True) -> None:
    for name in names:
        want, got = getattr(real, name), getattr(emu, name)
        assert type(want) is type(got), f"{name}: {want!r} vs {got!r}"
        if values:
            assert want == got, name


def _items(plex: PlexServer, root: ET.Element) -> Any:
    """plexapi objects built from a document, exactly as fetchItems builds them."""
    container = plex.findItems(root)
    for obj in container:
        obj._autoReload = False  # a None attribute must not turn into a request
    return container


def _seed_video(emu: PlexEmulator, section_id: int, video: ET.Element) -> None:
    """Add the item a captured <Video> describes, with its ids, files, sizes, tags and locks."""
    a = video.attrib

    def num(name: str, cast: type) -> Any:
        return cast(a[name]) if name in a else None

    medias = video.findall("Media")
    parts = [p for m in medias for p in m.findall("Part")]
    tags: dict[str, list[str]] = {}
    for child in video:
        if child.tag in ELEMENT_KINDS:
            tags.setdefault(ELEMENT_KINDS[child.tag], []).append(child.attrib["tag"])
    emu.add_item(
        section_id,
        [[p.attrib["file"] for p in m.findall("Part")] for m in medias],
        rating_key=int(a["ratingKey"]),
        media_ids=[int(m.attrib["id"]) for m in medias],
        part_ids=[int(p.attrib["id"]) for p in parts],
        sizes={p.attrib["file"]: int(p.attrib["size"]) for p in parts},
        guids=[g.attrib["id"] for g in video.findall("Guid")],
        title=a["title"],
        title_sort=a.get("titleSort"),
        summary=a.get("summary"),
        studio=a.get("studio"),
        tagline=a.get("tagline"),
        guid=a.get("guid"),
        content_rating=a.get("contentRating"),
        originally_available_at=a.get("originallyAvailableAt"),
        year=num("year", int),
        rating=num("rating", float),
        audience_rating=num("audienceRating", float),
        user_rating=num("userRating", float),
        added_at=int(a["addedAt"]),
        updated_at=int(a["updatedAt"]),
        thumb=a.get("thumb"),
        art=a.get("art"),
        tags=tags,
        locked={f.attrib["name"] for f in video.findall("Field") if f.attrib["locked"] == "1"},
    )
    item = emu.item(int(a["ratingKey"]))
    for emu_media, real in zip(item.media, medias, strict=True):
        if "proxyType" in real.attrib:  # Plex's optimized version (issue 15)
            emu_media.proxy_type = int(real.attrib["proxyType"])
            emu_media.target = real.attrib.get("target")


def _seed_section(emu: PlexEmulator, root: ET.Element, location: str, **extra: Any) -> int:
    sid = int(root.attrib["librarySectionID"])
    emu.add_section(
        root.attrib["librarySectionTitle"],
        [location],
        section_id=sid,
        uuid=root.attrib["librarySectionUUID"],
        **extra,
    )
    return sid


def _compare_videos(real_items: Any, emu_items: Any) -> None:
    by_key = {i.ratingKey: i for i in emu_items}
    assert len(real_items) == len(by_key) > 0
    for real in real_items:
        emu = by_key[real.ratingKey]
        _same(real, emu, VIDEO_ATTRS)
        assert [
            (m.id, m.proxyType, m.target, [(p.id, p.file, p.size) for p in m.parts])
            for m in real.media
        ] == [
            (m.id, m.proxyType, m.target, [(p.id, p.file, p.size) for p in m.parts])
            for m in emu.media
        ]
        for name in TAG_LISTS:
            assert [t.tag for t in getattr(real, name)] == [t.tag for t in getattr(emu, name)]
        assert {(f.name, f.locked) for f in real.fields} == {(f.name, f.locked) for f in emu.fields}


def _compare_containers(real: Any, emu: Any, *, equal: tuple[str, ...]) -> None:
    _same(real, emu, CONTAINER_ATTRS, values=False)
    _same(real, emu, equal)
    for name in RAW_CONTAINER_ATTRS:
        assert real._data.attrib.get(name) == emu._data.attrib.get(name), name


@pytest.mark.parametrize("name", ["server-root.xml", "server-root-macos.xml"])
def test_server_root(shared_dir: Path, plex_fid_emu: PlexEmulator, name: str) -> None:
    root = _fixture(shared_dir, name)
    lib = plex_fid_emu.library
    lib.machine_identifier = root.attrib["machineIdentifier"]
    lib.version = root.attrib["version"]
    lib.friendly_name = root.attrib["friendlyName"]
    plex_fid_emu.platform = root.attrib["platform"]
    plex_fid_emu.platform_version = root.attrib["platformVersion"]
    plex = _connect(plex_fid_emu)
    real = PlexServer.__new__(PlexServer)
    PlexObject.__init__(real, real, root, "/")
    _same(
        real,
        plex,
        (
            "machineIdentifier",
            "version",
            "friendlyName",
            "platform",
            "platformVersion",
            "myPlex",
            "allowSync",
            "multiuser",
        ),
    )
    _same(
        real,
        plex,
        ("transcoderActiveVideoSessions", "updatedAt", "transcoderVideo", "myPlexSigninState"),
        values=False,
    )


def test_identity(shared_dir: Path, plex_fid_emu: PlexEmulator) -> None:
    root = _fixture(shared_dir, "identity.xml")
    plex_fid_emu.library.machine_identifier = root.attrib["machineIdentifier"]
    plex_fid_emu.library.version = root.attrib["version"]
    plex = _connect(plex_fid_emu)
    _same(Identity(plex, root), plex.identity(), ("claimed", "machineIdentifier", "version"))
    assert plex.query("/identity").attrib["size"] == root.attrib["size"] == "0"


def test_library_sections(shared_dir: Path, plex_fid_emu: PlexEmulator) -> None:
    root = _fixture(shared_dir, "library-sections.xml")
    for d in root.findall("Directory"):
        a = d.attrib
        plex_fid_emu.add_section(
            a["title"],
            [loc.attrib["path"] for loc in d.findall("Location")],
            section_id=int(a["key"]),
            type=a["type"],
            agent=a["agent"],
            scanner=a["scanner"],
            language=a["language"],
            uuid=a["uuid"],
            created_at=int(a["createdAt"]),
            updated_at=int(a["updatedAt"]),
            scanned_at=int(a["scannedAt"]),
        )
    plex = _connect(plex_fid_emu)
    emu_root = plex.query("/library/sections")
    for real_el, emu_el in zip(root, emu_root, strict=True):
        cls = SECTION_CLASSES.get(real_el.attrib["type"], LibrarySection)
        real = cls(plex, real_el, initpath="/library/sections")
        emu = cls(plex, emu_el, initpath="/library/sections")
        _same(
            real,
            emu,
            (
                "key",
                "type",
                "title",
                "agent",
                "scanner",
                "language",
                "uuid",
                "refreshing",
                "locations",
                "createdAt",
                "updatedAt",
                "allowSync",
                "filters",
                "composite",
                "art",
                "thumb",
            ),
        )
    assert {s.key: s.locations for s in plex.library.sections()} == {
        2: ["M:\\Media\\Movies"],
        4: ["M:\\Media\\TV Shows"],
        8: ["M:\\Media\\Music"],
        1: ["M:\\Media\\Pictures"],
    }
    for name in ("size", "identifier", "title1", "allowSync", "mediaTagPrefix"):
        assert (name in root.attrib) == (name in emu_root.attrib), name
    assert emu_root.attrib["identifier"] == root.attrib["identifier"]


@pytest.mark.parametrize(
    ("name", "location", "extra"),
    [
        ("section-all-movies.xml", "M:\\Media\\Movies", {}),
        ("section-all-home-videos.xml", "I:\\Videos", {"other_videos": True}),
    ],
)
def test_section_listing(
    shared_dir: Path, plex_fid_emu: PlexEmulator, name: str, location: str, extra: dict[str, Any]
) -> None:
    root = _fixture(shared_dir, name)
    sid = _seed_section(plex_fid_emu, root, location, **extra)
    for video in root.findall("Video"):
        _seed_video(plex_fid_emu, sid, video)
    plex = _connect(plex_fid_emu)
    emu_root = plex.query(f"/library/sections/{sid}/all?type=1&includeGuids=1")
    real_items, emu_items = _items(plex, root), _items(plex, emu_root)
    _compare_containers(
        real_items,
        emu_items,
        equal=("librarySectionID", "librarySectionUUID", "identifier", "totalSize", "offset"),
    )
    _compare_videos(real_items, emu_items)
    real_video, emu_video = root.find("Video"), emu_root.find("Video")
    for attr in ("type", "subtype", "guid"):
        assert real_video.attrib.get(attr) == emu_video.attrib.get(attr), attr
    assert [len(m) for m in real_video.findall("Media")] == [
        len(m) for m in emu_video.findall("Media")
    ]


def test_paged_linux_listing(shared_dir: Path, plex_fid_emu: PlexEmulator) -> None:
    root = _fixture(shared_dir, "section-all-movies-linux-paged.xml")
    sid = _seed_section(plex_fid_emu, root, "/movies")
    for video in root.findall("Video"):
        _seed_video(plex_fid_emu, sid, video)
    total = int(root.attrib["totalSize"])
    for n in range(total - len(root.findall("Video"))):  # the rest of the library, sorted last
        plex_fid_emu.add_item(sid, [f"/movies/zz/zz {n:03d}.mkv"], title=f"zz {n:03d}")
    plex_fid_emu.listing_tag_limits.update(Genre=3, Writer=3, Country=3)  # as PMS did in 2016
    plex = _connect(plex_fid_emu)
    emu_root = plex.query(
        f"/library/sections/{sid}/all",
        headers={"X-Plex-Container-Start": "0", "X-Plex-Container-Size": root.attrib["size"]},
    )
    real_items, emu_items = _items(plex, root), _items(plex, emu_root)
    _compare_containers(
        real_items, emu_items, equal=("size", "totalSize", "offset", "librarySectionID")
    )
    _compare_videos(real_items, emu_items)
    revenant = {i.ratingKey: i for i in emu_items}[32730]
    assert len(revenant.media) == 2 and len(revenant.locations) == 2


def test_full_metadata(shared_dir: Path, plex_fid_emu: PlexEmulator) -> None:
    root = _fixture(shared_dir, "metadata-movie.xml")
    sid = _seed_section(plex_fid_emu, root, "M:\\Media\\Movies")
    _seed_video(plex_fid_emu, sid, root.find("Video"))
    plex = _connect(plex_fid_emu)
    rk = root.find("Video").attrib["ratingKey"]
    emu_root = plex.query(f"/library/metadata/{rk}")
    real_items, emu_items = _items(plex, root), _items(plex, emu_root)
    _compare_containers(
        real_items, emu_items, equal=("size", "librarySectionID", "librarySectionUUID", "totalSize")
    )
    _compare_videos(real_items, emu_items)
    real, emu = real_items[0], emu_items[0]
    assert [g.id for g in real.guids] == [g.id for g in emu.guids]
    assert {f.name for f in emu.fields} == {"thumb", "collection"}
    for item in (real, emu):
        for tag in [*item.genres, *item.roles, *item.collections]:
            assert isinstance(tag.id, int)
            assert tag.filter == f"{'actor' if tag.TAG == 'Role' else tag.FILTER}={tag.id}"
    assert emu.librarySectionKey == real.librarySectionKey == f"/library/sections/{sid}"
    assert "title1" not in emu_root.attrib and "title1" not in root.attrib


def test_posters_after_upload(shared_dir: Path, plex_fid_emu: PlexEmulator) -> None:
    root = _fixture(shared_dir, "metadata-posters-partial.xml")
    plex_fid_emu.add_section("Movies", ["/m"])
    item = plex_fid_emu.add_item(1, ["/m/a.mkv"])
    plex = _connect(plex_fid_emu)
    movie = plex.fetchItem(item.rating_key)
    movie.uploadPoster(filepath=io.BytesIO(jpeg_bytes("poster")))
    real_rk = root.find("Photo").attrib["key"].split("/")[3]
    emu_root = plex.query(f"/library/metadata/{item.rating_key}/posters")
    (real,) = [media.Poster(plex, el) for el in root.findall("Photo")]
    (emu,) = [media.Poster(plex, el) for el in emu_root.findall("Photo")]
    _same(real, emu, ("key", "ratingKey", "selected", "thumb", "provider"), values=False)
    _same(real, emu, ("selected", "provider"))
    for photo, rk in ((real, real_rk), (emu, str(item.rating_key))):
        assert photo.ratingKey.startswith("upload://posters/")
        assert (
            photo.key
            == photo.thumb
            == (f"/library/metadata/{rk}/file?url={quote(photo.ratingKey, safe='')}")
        )
    assert [p.ratingKey for p in movie.posters()] == [emu.ratingKey]
