"""The persisted path index against the Plex emulator: full build equals the library, request
counts, persistence without requests, incremental refreshes, totalSize quirks, Windows paths.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from plex.client import PlexClient
from plex.index import FULL_REFRESH_INTERVAL_S, PAGE_SIZE, PathIndex
from plex.matching import SceneFiles, match_scenes
from sandbox.generator import GeneratorOptions, generate
from sandbox.generator.core import GeneratedLibrary
from sandbox.plex_emu import PlexEmulator
from tests.plex.conftest import TOKEN, Clock
from validation.meaningful import has_meaningful_metadata

LISTING = "GET /library/sections/{id}/all"


def plex_parts(lib_plex: object) -> set[tuple[int, int, str, int]]:
    return {
        (item.section_id, item.rating_key, part.file, part.size)
        for item in lib_plex.items.values()  # type: ignore[attr-defined]
        for media in item.media
        for part in media.parts
    }


def indexed(index: PathIndex) -> set[tuple[int, int, str, int | None]]:
    return {(e.section_id, e.rating_key, e.file, e.size) for e in index.entries()}


@pytest.fixture
def posix_lib() -> GeneratedLibrary:
    """A fresh library per test: the emulator mutates the one it serves."""
    return generate(GeneratorOptions(scenes=2000))


@pytest.fixture
def gen_clock(posix_lib: GeneratedLibrary) -> Clock:
    """Plex's clock just after the generated library's `now` (items never look older)."""
    return Clock(posix_lib.options.now.timestamp() + 3600)


@pytest.fixture
def gen_emu(posix_lib: GeneratedLibrary, gen_clock: Clock) -> Iterator[PlexEmulator]:
    with PlexEmulator(library=posix_lib.plex, token=TOKEN, clock=gen_clock) as emu:
        yield emu


@pytest.fixture
def gen_client(gen_emu: PlexEmulator, data_dir: Path) -> PlexClient:
    return PlexClient(gen_emu.url, TOKEN, data_dir=data_dir)


def test_full_build_equals_library(data_dir: Path) -> None:
    posix_lib = generate(GeneratorOptions(scenes=5000))
    with PlexEmulator(library=posix_lib.plex, token=TOKEN) as gen_emu:
        gen_client = PlexClient(gen_emu.url, TOKEN, data_dir=data_dir)
        index = PathIndex(data_dir)
        report = index.refresh(gen_client, gen_client.sections())
    assert indexed(index) == plex_parts(posix_lib.plex)
    sizes = {sid: 0 for sid in posix_lib.plex.sections}
    for item in posix_lib.plex.items.values():
        sizes[item.section_id] += 1
    budget = sum(math.ceil(n / PAGE_SIZE) for n in sizes.values())
    assert gen_emu.log.count(LISTING) == report.requests <= budget
    assert gen_emu.log.count() == 1 + report.requests  # + GET /library/sections
    assert sorted(report.full_sections) == sorted(sizes) and len(index) == sum(sizes.values())
    # every listing asked for the slim payload and pages of 2,000
    for record in gen_emu.log.records:
        if record.route == LISTING:
            query = dict(record.query)
            assert query["includeGuids"] == "0" and "Role" not in query["excludeElements"]
            assert record.headers["X-Plex-Container-Size"] == str(PAGE_SIZE)

    truth = posix_lib.truth
    for scene_id, scene in truth.scenes.items():
        if scene.method in ("exact", "mapped"):
            found = {
                (e.section_id, e.rating_key) for p in scene.plex_paths for e in index.by_path(p)
            }
            assert found == set(scene.targets), scene_id
    for scene_id in truth.plex_empty | truth.synced:
        for _, rating_key in truth.scenes[scene_id].targets:
            signals = index.item_signals(rating_key)
            assert signals is not None
            meaningful = has_meaningful_metadata(signals.plex_metadata())
            assert meaningful is (scene_id in truth.synced), scene_id


def test_persisted_without_requests(
    gen_emu: PlexEmulator, gen_client: PlexClient, data_dir: Path
) -> None:
    first = PathIndex(data_dir, clock=gen_emu.state.clock)
    first.refresh(gen_client, gen_client.sections())
    expected = indexed(first)
    sections = first.sections
    first.close()
    before = len(gen_emu.log)
    second = PathIndex(data_dir, clock=gen_emu.state.clock)
    assert indexed(second) == expected and second.sections == sections
    some = next(iter(expected))
    assert (some[0], some[1]) in {(e.section_id, e.rating_key) for e in second.by_path(some[2])}
    assert len(gen_emu.log) == before


def test_incremental_refresh_finds_new_items(
    gen_emu: PlexEmulator, gen_client: PlexClient, gen_clock: Clock, data_dir: Path
) -> None:
    index = PathIndex(data_dir, clock=gen_clock)
    index.refresh(gen_client, gen_client.sections())
    gen_emu.log.clear()
    gen_clock.now += 60
    added = gen_emu.add_item(1, ["/media/videos/Movies/New/new film.mkv"])
    report = index.refresh(gen_client)  # stored sections: no sections request
    assert report.incremental_sections == [1, 2] and report.full_sections == []
    assert gen_emu.log.count() == report.requests == 2  # one small page per section
    assert [e.rating_key for e in index.by_path(added.files()[0])] == [added.rating_key]

    # a file picked up by a scan we asked for
    gen_clock.now += 60
    folder = "/media/videos/Clips/Scanned"
    gen_emu.add_disk_file(folder + "/scanned clip.mp4", 4242)
    gen_client.scan_folder(2, folder)
    assert gen_emu.run_scans() == 1
    gen_emu.log.clear()
    index.refresh(gen_client)
    assert gen_emu.log.count(LISTING) == 2
    (entry,) = index.by_path(folder + "/scanned clip.mp4")
    assert (entry.section_id, entry.size) == (2, 4242)


def test_incremental_refresh_sees_edits_and_deletions(
    gen_emu: PlexEmulator,
    gen_client: PlexClient,
    gen_clock: Clock,
    data_dir: Path,
    posix_lib: GeneratedLibrary,
) -> None:
    index = PathIndex(data_dir, clock=gen_clock)
    index.refresh(gen_client, gen_client.sections())
    scene = posix_lib.truth.scenes[min(posix_lib.truth.plex_empty)]
    section_id, rating_key = scene.targets[0]
    assert index.item_signals(rating_key).studio is None  # type: ignore[union-attr]
    gen_clock.now += 60
    gen_client.put_edit(section_id, f"id={rating_key}&studio.value=New%20Studio&type=1")
    report = index.refresh(gen_client)
    assert report.full_sections == [] and report.requests == 2
    assert index.item_signals(rating_key).studio == "New Studio"  # type: ignore[union-attr]

    victim = next(k for k, i in gen_emu.library.items.items() if i.section_id == 2)
    files = gen_emu.item(victim).files()
    gen_emu.remove_item(victim)
    report = index.refresh(gen_client)
    assert report.full_sections == [2] and report.incremental_sections == [1]
    assert victim not in {e.rating_key for e in index.by_path(files[0])}
    assert index.item_signals(victim) is None and index.parts_of(victim) == []


def test_drop_stale_key(gen_client: PlexClient, gen_emu: PlexEmulator, data_dir: Path) -> None:
    index = PathIndex(data_dir, clock=gen_emu.state.clock)
    index.refresh(gen_client, gen_client.sections())
    entry = next(index.entries())
    assert index.drop(entry.rating_key) is True
    assert index.by_path(entry.file) == [] and index.parts_of(entry.rating_key) == []
    assert index.drop(entry.rating_key) is False


def test_daily_full_listing(
    gen_emu: PlexEmulator, gen_client: PlexClient, gen_clock: Clock, data_dir: Path
) -> None:
    index = PathIndex(data_dir, clock=gen_clock)
    index.refresh(gen_client, gen_client.sections())
    gen_clock.now += FULL_REFRESH_INTERVAL_S - 60
    assert index.refresh(gen_client).full_sections == []
    gen_clock.now += 120
    assert sorted(index.refresh(gen_client).full_sections) == [1, 2]
    assert sorted(index.refresh(gen_client, full=True).full_sections) == [1, 2]


def test_section_configuration_changes(
    gen_client: PlexClient, gen_emu: PlexEmulator, data_dir: Path
) -> None:
    index = PathIndex(data_dir, clock=gen_emu.state.clock)
    movies, others = gen_client.sections()
    index.refresh(gen_client, [movies, others])
    clip = next(e for e in index.entries() if e.section_id == others.id)
    report = index.refresh(gen_client, [movies])
    assert report.removed_sections == [others.id] and report.incremental_sections == [movies.id]
    assert index.by_path(clip.file) == [] and [s.id for s in index.sections] == [movies.id]
    gen_emu.library.sections[movies.id].locations.append("/media/videos/Extra")
    (moved,) = gen_client.sections(["Movies"])
    assert index.refresh(gen_client, [moved]).full_sections == [movies.id]
    assert index.section_locations[0].locations == tuple(moved.locations)


@pytest.fixture
def big_emu(clock: Clock) -> Iterator[PlexEmulator]:
    emu = PlexEmulator(token=TOKEN, clock=clock)
    emu.add_section("Movies", ["/media/movies"])
    for i in range(10_000):
        emu.add_item(1, [f"/media/movies/{i:05d}.mkv"])
    with emu:
        yield emu


def test_missing_total_size_stops_on_short_page(big_emu: PlexEmulator, data_dir: Path) -> None:
    big_emu.omit_total_size = True
    client = PlexClient(big_emu.url, TOKEN, data_dir=data_dir)
    index = PathIndex(data_dir)
    report = index.refresh(client, client.sections())
    assert len(index) == 10_000
    assert report.requests == big_emu.log.count(LISTING) == 6  # 5 full pages + the empty one
    assert index.by_path("/media/movies/09999.mkv")


def test_short_pages_with_total_size(big_emu: PlexEmulator, data_dir: Path) -> None:
    big_emu.short_page = 1500  # the server sends fewer than asked; totalSize tells the truth
    client = PlexClient(big_emu.url, TOKEN, data_dir=data_dir)
    index = PathIndex(data_dir)
    report = index.refresh(client, client.sections())
    assert len(index) == 10_000 and report.requests == math.ceil(10_000 / 1500)


def test_windows_sections_normalised(data_dir: Path) -> None:
    lib = generate(GeneratorOptions(scenes=600, windows_plex=True))
    with PlexEmulator(library=lib.plex, token=TOKEN) as emu:
        client = PlexClient(emu.url, TOKEN, data_dir=data_dir)
        index = PathIndex(data_dir)
        index.refresh(client, client.sections())
    assert index.style.windows and index.style.fold_case
    assert indexed(index) == plex_parts(lib.plex)
    checked = 0
    for scene in lib.truth.scenes.values():
        if scene.method not in ("exact", "mapped"):
            continue
        for path in scene.plex_paths:
            assert "\\" in path
            variant = path.replace("\\", "/").upper()
            found = {(e.section_id, e.rating_key) for e in index.by_path(variant)}
            assert found == set(scene.targets)
            assert index.lookup(index.key(path)) == index.by_path(path)
            checked += 1
    assert checked > 300


def test_usable_by_match_scenes(
    posix_lib: GeneratedLibrary, gen_emu: PlexEmulator, gen_client: PlexClient, data_dir: Path
) -> None:
    index = PathIndex(data_dir, clock=gen_emu.state.clock)
    index.refresh(gen_client, gen_client.sections())
    stash_root, plex_root = posix_lib.truth.path_map.split("=>")
    scenes = [
        SceneFiles(s.id, tuple((f.path, f.size) for f in s.files))
        for s in list(posix_lib.stash.scenes.values())[:800]
    ]

    def mapper(path: str) -> str:
        return plex_root + path[len(stash_root) :] if path.startswith(stash_root) else path

    from_sqlite = match_scenes(scenes, index, mapper, index.section_locations)
    in_memory = match_scenes(scenes, index.view(), mapper, index.section_locations)
    assert from_sqlite == in_memory
    for scene in scenes:
        truth = posix_lib.truth.scenes[scene.scene_id]
        if truth.method in ("exact", "mapped"):
            assert sorted(from_sqlite[scene.scene_id].targets) == sorted(truth.targets)


def test_damaged_index_file_is_rebuilt(data_dir: Path) -> None:
    (data_dir / "plex_index.db").write_bytes(b"this is not a database" * 100)
    index = PathIndex(data_dir)
    assert len(index) == 0 and index.sections == []
