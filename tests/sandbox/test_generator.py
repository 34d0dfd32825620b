"""Tests of the library generator: determinism, planted cases, and the truth it claims.

The truth checks re-derive every claim from the generated data with their own path mapping,
normalisation and field rules, so a generator that lies about a case fails here.

Over ~400 lines on purpose: the truth checks share one set of independent re-derivation
helpers (path mapping, normalisation, field rules); splitting would copy or import them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
import unicodedata
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.generator import GeneratedLibrary, GeneratorOptions, desired_item, generate
from sandbox.model import PlexItem, StashScene

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

JPEG, PNG = b"\xff\xd8", b"\x89PNG"
CASES = [
    *("no_files", "not_scanned", "outside_sections", "ambiguous", "basename", "two_sections"),
    *("plex_empty", "synced", "stale", "wiped", "foreign", "no_metadata", "no_cover"),
    *("png_cover", "multi_file", "multi_parts", "multi_media", "dup_basename", "nfd"),
    *("recent_24h", "heavy", "long_details", "control_chars", "orphans"),
]


@pytest.fixture(scope="module")
def lib() -> GeneratedLibrary:
    return generate(GeneratorOptions(scenes=1000, seed=7))


# --- independent helpers: what the plugin is meant to do, written from SPEC/plex.md ------------


def to_plex(path: str, lib: GeneratedLibrary) -> str:
    """Apply the truth's path_map, then the Plex host's separator (SPEC §2.4)."""
    truth = lib.truth
    if truth.path_map:
        source, target = truth.path_map.split("=>")
        assert path.startswith(source), (path, source)
        rest = path[len(source) :]
    else:
        target, rest = "", path
    if truth.stash_windows != truth.plex_windows:
        rest = rest.replace(*(("\\", "/") if truth.stash_windows else ("/", "\\")))
    return target + rest


def key(path: str, lib: GeneratedLibrary) -> str:
    """Comparison key: NFC, and case-insensitive on a Windows-style Plex (plex.md §6)."""
    normal = unicodedata.normalize("NFC", path)
    return normal.casefold() if lib.truth.plex_windows else normal


def basename(path: str) -> str:
    return unicodedata.normalize("NFC", path.replace("\\", "/").rsplit("/", 1)[-1])


def stem_of(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]


def meaningful(scene: StashScene) -> bool:
    """SPEC §3 has_meaningful_metadata, from the Stash model."""
    return bool(
        scene.studio_id or scene.performer_ids or scene.tag_ids or scene.details or scene.date
    )


def part_index(lib: GeneratedLibrary) -> dict[str, set[tuple[int, int]]]:
    index: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for item in lib.plex.items.values():
        for file in item.files():
            index[key(file, lib)].add((item.section_id, item.rating_key))
    return index


def check_truth(lib: GeneratedLibrary) -> None:
    """Every per-scene claim of the truth holds in the generated data."""
    truth, stash, plex = lib.truth, lib.stash, lib.plex
    index = part_index(lib)
    disk = {key(path, lib) for path in plex.disk_files}
    locations = [key(loc, lib) for s in plex.sections.values() for loc in s.locations]
    sep = "\\" if truth.plex_windows else "/"
    claimed: dict[tuple[int, int], set[int]] = defaultdict(set)
    assert set(truth.scenes) == set(stash.scenes)

    for sid, st in truth.scenes.items():
        scene = stash.scenes[sid]
        mapped = [key(to_plex(f.path, lib), lib) for f in scene.files]
        assert bool(st.targets) != bool(st.reason), sid
        if st.reason == "no_files":
            assert scene.files == [], sid
            continue
        assert scene.files, sid
        found = set().union(*(index.get(m, set()) for m in mapped))
        for ref in found:
            claimed[ref].add(sid)
        if st.method in ("exact", "mapped"):
            assert found == set(st.targets), sid
            for section, rk in st.targets:
                item = plex.items[rk]
                assert item.section_id == section
                assert sorted(key(f, lib) for f in item.files()) == sorted(mapped), sid
        elif st.method == "basename":
            assert not found, sid
            (section, rk), file = st.targets[0], scene.files[0]
            parts = [p for m in plex.items[rk].media for p in m.parts]
            assert [basename(p.file) for p in parts] == [basename(file.path)]
            assert parts[0].size == file.size
            assert key(parts[0].file, lib) != mapped[0]  # really another folder
        elif st.reason == "not_scanned":
            assert not found and all(m in disk for m in mapped), sid
            assert any(m.startswith(loc + sep) for m in mapped for loc in locations)
        elif st.reason == "outside_sections":
            assert not found and not any(m in disk for m in mapped), sid
            assert not any(m.startswith(loc + sep) for m in mapped for loc in locations)
        elif st.reason == "ambiguous":
            assert found == set(st.candidates) and found, sid
        else:
            raise AssertionError(f"unknown case {st}")
        if st.method == "basename":
            assert [key(p, lib) for p in st.plex_paths] == [key(p.file, lib) for p in parts]
        else:
            assert [key(p, lib) for p in st.plex_paths] == mapped, sid

    for owners in claimed.values():
        if len(owners) > 1:  # two scenes claiming one item: both reported ambiguous
            assert all(sid in truth.ambiguous for sid in owners), owners
    for sid in truth.ambiguous:
        refs = truth.scenes[sid].candidates
        two_scenes = any(len(claimed[ref]) > 1 for ref in refs)
        sections = [section for section, _rk in refs]
        assert two_scenes or len(sections) != len(set(sections)), sid
    owned = {ref for refs in (t.targets for t in truth.scenes.values()) for ref in refs}
    owned |= set(claimed)
    for rk, item in plex.items.items():
        assert ((item.section_id, rk) in owned) != (rk in truth.orphans), rk
    stash_basenames = {basename(f.path) for s in stash.scenes.values() for f in s.files}
    for rk in truth.orphans:
        assert all(basename(f) not in stash_basenames for f in plex.items[rk].files())


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_identical_libraries() -> None:
    first = generate(GeneratorOptions(scenes=400, seed=3))
    second = generate(GeneratorOptions(scenes=400, seed=3))
    assert first.stash == second.stash
    assert first.plex == second.plex
    assert first.truth == second.truth


def test_different_seed_gives_different_libraries() -> None:
    first = generate(GeneratorOptions(scenes=400, seed=3))
    other = generate(GeneratorOptions(scenes=400, seed=4))
    assert first.stash.scenes != other.stash.scenes
    assert first.plex.items != other.plex.items
    assert first.truth.synced != other.truth.synced


def canonical(value: object) -> object:
    """A hashable form independent of set and dict iteration order (and of the hash seed)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return tuple((f.name, canonical(getattr(value, f.name))) for f in fields if f.compare)
    if isinstance(value, dict):
        return tuple(sorted((repr(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(v) for v in value))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    return repr(value)


def digest(lib: GeneratedLibrary) -> str:
    return hashlib.sha256(repr(canonical(lib)).encode()).hexdigest()


def test_same_seed_is_identical_under_another_hash_seed() -> None:
    code = (
        "from sandbox.generator import GeneratorOptions, generate;"
        "from tests.sandbox.test_generator import digest;"
        "print(digest(generate(GeneratorOptions(scenes=300, seed=5))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": REPO}
    child = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == digest(generate(GeneratorOptions(scenes=300, seed=5)))


def test_global_random_is_untouched() -> None:
    import random

    random.seed(99)
    expected = random.random()
    random.seed(99)
    generate(GeneratorOptions(scenes=200))
    assert random.random() == expected


# --- every case is planted -------------------------------------------------------------------


@pytest.mark.parametrize("scenes", [100, 1000])
def test_every_case_is_present_and_recorded(scenes: int) -> None:
    lib = generate(GeneratorOptions(scenes=scenes))
    truth = lib.truth
    for name in CASES:
        assert getattr(truth, name), name
    reasons = {t.reason for t in truth.scenes.values()}
    methods = {t.method for t in truth.scenes.values()}
    assert reasons == {None, "no_files", "not_scanned", "outside_sections", "ambiguous"}
    assert methods == {None, "mapped", "basename"}
    assert truth.path_map == "/data/videos=>/media/videos"
    assert lib.plex.disk_files
    check_truth(lib)


def test_fractions_are_honoured(lib: GeneratedLibrary) -> None:
    truth = lib.truth
    assert len(truth.no_files) == 20 and len(truth.outside_sections) == 20
    assert len(truth.not_scanned) == 40 and len(truth.no_metadata) == 30
    assert len(truth.plex_empty) == 250 and len(truth.synced) == 350
    assert len(truth.no_cover) == 50 and len(truth.nfd) == 20
    assert len({*truth.stale, *truth.wiped} & truth.no_metadata) == 0
    assert not (truth.synced & truth.no_metadata)  # never pushed
    assert len(truth.orphans) >= 5


def test_zero_fractions_plant_nothing() -> None:
    zero = {f"frac_{name}": 0.0 for name in ("no_files", "outside_sections", "not_scanned")}
    lib = generate(GeneratorOptions(scenes=300, frac_ambiguous=0, frac_basename=0, **zero))
    assert not lib.truth.no_files and not lib.truth.ambiguous and not lib.plex.disk_files
    assert all(t.targets for t in lib.truth.scenes.values())
    check_truth(lib)


def test_stash_content_variety(lib: GeneratedLibrary) -> None:
    stash = lib.stash
    tags = [t.name for t in stash.tags.values()]
    for needle in (",", '"', "&", "%", "🔥", "עברית", "ع"):
        assert any(needle in name for name in tags), needle
    assert any(len(name) > 255 for name in tags)
    assert any(s.parent_id for s in stash.studios.values())
    assert any(s.image for s in stash.studios.values())
    assert any(s.image is None for s in stash.studios.values())
    assert any(p.image and p.image.startswith(PNG) for p in stash.performers.values())
    scenes = list(stash.scenes.values())
    dates = {len(s.date) for s in scenes if s.date}
    assert dates == {4, 7, 10}
    assert any(idx is None for s in scenes for _g, idx in s.groups)
    assert any(isinstance(idx, int) for s in scenes for _g, idx in s.groups)
    assert any(s.rating100 is None for s in scenes) and any(s.rating100 for s in scenes)
    assert any(s.organized for s in scenes) and any(not s.organized for s in scenes)
    assert any(s.details and "\n" in s.details for s in scenes)
    assert any(s.title == "" for s in scenes) and any(s.title is None for s in scenes)
    paths = [f.path for s in scenes for f in s.files]
    assert any(" (19" in p or " (20" in p for p in paths)
    assert len({f.id for s in scenes for f in s.files}) == len(paths)


def test_timestamps_are_aware_and_spread() -> None:
    lib = generate(GeneratorOptions(scenes=500, tz_offset="+01:00"))
    now = lib.options.now
    offset = timedelta(hours=1)
    for scene in lib.stash.scenes.values():
        assert scene.created_at.utcoffset() == offset and scene.updated_at.utcoffset() == offset
        assert now - timedelta(days=30) <= scene.created_at <= scene.updated_at <= now
        assert scene.created_at.microsecond == 0
        recent = now - scene.updated_at < timedelta(hours=24)
        assert recent == (scene.id in lib.truth.recent_24h)
    assert lib.truth.recent_24h


# --- claims about specific cases ----------------------------------------------------------


def test_metadata_traits(lib: GeneratedLibrary) -> None:
    for scene in lib.stash.scenes.values():
        assert meaningful(scene) == (scene.id not in lib.truth.no_metadata)
        if scene.id in lib.truth.no_cover:
            assert scene.cover is None
        elif scene.id in lib.truth.png_cover:
            assert scene.cover is not None and scene.cover.startswith(PNG)
        else:
            assert scene.cover is not None and scene.cover.startswith(JPEG)
    assert len({s.cover for s in lib.stash.scenes.values() if s.cover}) > 900
    for sid in lib.truth.long_details:
        assert len(lib.stash.scenes[sid].details or "") > 10_000
    for sid in lib.truth.heavy:
        assert len(lib.stash.scenes[sid].tag_ids) > 200
        assert len(lib.stash.scenes[sid].performer_ids) > 200


def test_dup_basenames_share_names_across_folders(lib: GeneratedLibrary) -> None:
    by_name: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for scene in lib.stash.scenes.values():
        for file in scene.files:
            folder = file.path.replace("\\", "/").rsplit("/", 1)[0]
            by_name[basename(file.path)].append((scene.id, folder, file.size))
    shared = {sid for entries in by_name.values() if len(entries) > 1 for sid, _f, _s in entries}
    assert shared == lib.truth.dup_basename
    for entries in by_name.values():
        if len(entries) > 1:
            assert len({folder for _sid, folder, _size in entries}) == len(entries)
            assert len({size for _sid, _folder, size in entries}) == 1  # copies
    # The fallback trap: a matched file and a not-scanned copy with the same name and size.
    assert lib.truth.dup_basename & lib.truth.not_scanned
    assert lib.truth.dup_basename - lib.truth.not_scanned - lib.truth.outside_sections


def test_nfd_paths_differ_in_form_but_not_after_nfc(lib: GeneratedLibrary) -> None:
    directions = set()
    for sid in lib.truth.nfd:
        stash_path = lib.stash.scenes[sid].files[0].path
        plex_path = lib.truth.scenes[sid].plex_paths[0]
        mapped = to_plex(stash_path, lib)
        assert mapped != plex_path
        assert unicodedata.normalize("NFC", mapped) == unicodedata.normalize("NFC", plex_path)
        directions.add(unicodedata.is_normalized("NFC", stash_path))
        nfd_side = plex_path if unicodedata.is_normalized("NFC", stash_path) else stash_path
        assert not unicodedata.is_normalized("NFC", nfd_side)
    assert directions == {True, False}
    for sid, st in lib.truth.scenes.items():
        if sid not in lib.truth.nfd and st.plex_paths and st.method != "basename":
            assert st.plex_paths[0] == to_plex(lib.stash.scenes[sid].files[0].path, lib)


def test_sections_share_a_folder_and_split_agents(lib: GeneratedLibrary) -> None:
    movies, other = lib.plex.sections[1], lib.plex.sections[2]
    assert movies.agent == "tv.plex.agents.movie"
    assert (other.agent, other.scanner, other.language) == (
        "tv.plex.agents.none",
        "Plex Video Files",
        "xn",
    )
    assert set(movies.locations) & set(other.locations)
    for sid in lib.truth.two_sections:
        assert {section for section, _rk in lib.truth.scenes[sid].targets} == {1, 2}


def test_multi_file_scenes_are_parts_or_media(lib: GeneratedLibrary) -> None:
    for sid in lib.truth.multi_parts | lib.truth.multi_media:
        assert len(lib.stash.scenes[sid].files) == 2
        for _section, rk in lib.truth.scenes[sid].targets:
            shape = [len(m.parts) for m in lib.plex.items[rk].media]
            assert shape == ([2] if sid in lib.truth.multi_parts else [1, 1])


# --- synced items carry exactly what the scene says ----------------------------------------


def expect_synced(item: PlexItem, scene: StashScene, lib: GeneratedLibrary) -> None:
    stash = lib.stash
    assert item.title == (scene.title or stem_of(item.files()[0]))
    assert ("title" in item.locked) == bool(scene.title)
    if scene.details:
        assert (
            item.summary
            == scene.details.replace("\x07", "").replace("\x00", "").replace("\x1b", "")[:10_000]
        )
        assert "summary" in item.locked
    if scene.date:
        assert item.year == int(scene.date[:4])
        expected_date = {10: scene.date, 7: scene.date + "-01", 4: None}[len(scene.date)]
        assert item.originally_available_at == expected_date
    if scene.rating100 is not None:
        assert item.user_rating == pytest.approx(scene.rating100 / 10)
        assert "userRating" in item.locked
    studio = stash.studios[scene.studio_id] if scene.studio_id else None
    assert item.studio == (studio.name[:255] if studio else None)
    actors = [stash.performers[p].name[:255] for p in scene.performer_ids][:200]
    genres = [stash.tags[t].name[:255] for t in scene.tag_ids][:200]
    assert item.tags.get("actor", []) == actors
    assert item.tags.get("genre", []) == genres
    collections = item.tags.get("collection", [])
    if studio:
        assert collections[0] == studio.name
        if studio.parent_id:
            assert collections[1] == stash.studios[studio.parent_id].name
    for gid, _index in scene.groups:
        assert stash.groups[gid].name in collections
    for kind, lock in (("actor", "actor"), ("genre", "genre"), ("collection", "collection")):
        assert (lock in item.locked) == bool(item.tags.get(kind))
    if scene.cover is None:
        assert not item.posters and "thumb" not in item.locked
    else:
        poster = next(p for p in item.posters if p.rating_key == item.selected_poster)
        assert poster.data == scene.cover
        assert poster.rating_key.endswith(hashlib.sha1(scene.cover).hexdigest())
        assert {"thumb", "art"} <= item.locked and item.thumb and item.art


def test_synced_items_carry_the_scene(lib: GeneratedLibrary) -> None:
    truth = lib.truth
    checked = 0
    for sid in truth.synced:
        scene = lib.stash.scenes[sid]
        assert truth.sync_timestamps[sid] == scene.updated_at.timestamp()
        for _section, rk in truth.scenes[sid].targets:
            expect_synced(lib.plex.items[rk], scene, lib)
            checked += 1
    assert checked >= len(truth.synced)


def test_heavy_long_and_control_scenes_are_capped() -> None:
    lib = generate(GeneratorOptions(scenes=1000, frac_synced=0.9, frac_plex_empty=0.0))
    truth = lib.truth
    special = truth.heavy | truth.long_details | truth.control_chars
    for sid in special & truth.synced:
        for _section, rk in truth.scenes[sid].targets:
            expect_synced(lib.plex.items[rk], lib.stash.scenes[sid], lib)
    for sid in special:
        desired = desired_item(lib.stash.scenes[sid], lib.stash)
        assert all(len(names) <= 200 for names in desired.tags.values())
        summary = str(desired.fields.get("summary", ""))
        assert len(summary) <= 10_000 and "\x00" not in summary and "\x07" not in summary
    assert special & truth.synced


def test_other_states(lib: GeneratedLibrary) -> None:
    truth, items = lib.truth, lib.plex.items
    for sid in truth.plex_empty | truth.wiped:
        for _section, rk in truth.scenes[sid].targets:
            item = items[rk]
            assert item.title == stem_of(item.files()[0])
            assert not (item.summary or item.studio or item.originally_available_at)
            assert not item.locked and not item.tags
    for sid in truth.stale:
        scene = lib.stash.scenes[sid]
        assert truth.sync_timestamps[sid] < scene.updated_at.timestamp()
        for _section, rk in truth.scenes[sid].targets:
            assert items[rk].title != scene.title and "title" in items[rk].locked
    for sid in truth.wiped:
        assert truth.sync_timestamps[sid] == lib.stash.scenes[sid].updated_at.timestamp()
    for sid in truth.foreign:
        for _section, rk in truth.scenes[sid].targets:
            assert items[rk].summary and items[rk].studio and items[rk].guid
            assert items[rk].guid.startswith("plex://")
    assert set(truth.sync_timestamps) == truth.synced | truth.stale | truth.wiped
    for item in items.values():
        agent = lib.plex.sections[item.section_id].agent
        assert bool(item.agent_values) == (agent == "tv.plex.agents.movie")


# --- host path styles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"windows_plex": True},
        {"windows_stash": True},
        {"windows_stash": True, "windows_plex": True},
        {"plex_root": "/data/videos"},
        {"windows_plex": True, "plex_root": "\\\\NAS\\share\\videos"},
    ],
)
def test_path_styles_keep_the_truth(options: dict[str, object]) -> None:
    lib = generate(GeneratorOptions(scenes=300, **options))  # type: ignore[arg-type]
    check_truth(lib)
    files = [f for item in lib.plex.items.values() for f in item.files()]
    stash_files = [f.path for s in lib.stash.scenes.values() for f in s.files]
    if options.get("windows_plex"):
        assert all("\\" in f and "/" not in f for f in files)
        assert all(s.windows_style for s in lib.plex.sections.values())
    else:
        assert all(f.startswith("/") and "\\" not in f for f in files)
    if options.get("windows_stash"):
        assert all(p.startswith("E:\\") and "/" not in p for p in stash_files)
    if options.get("plex_root") == "/data/videos":
        assert lib.truth.path_map == ""
        assert {t.method for t in lib.truth.scenes.values()} == {None, "exact", "basename"}


def test_windows_plex_uses_drive_letters() -> None:
    lib = generate(GeneratorOptions(scenes=200, windows_plex=True))
    locations = [loc for s in lib.plex.sections.values() for loc in s.locations]
    assert all(loc[1:3] == ":\\" for loc in locations)
    assert lib.truth.path_map == "/data/videos=>D:\\Videos"
    assert all("\\" in path for path in lib.plex.disk_files)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError):
        generate(GeneratorOptions(scenes=10, windows_plex=True, plex_root="/media"))
    with pytest.raises(ValueError):
        generate(GeneratorOptions(scenes=10, tz_offset="CET"))
    with pytest.raises(ValueError):
        generate(GeneratorOptions(scenes=10, frac_no_files=0.5, frac_not_scanned=0.5))
    with pytest.raises(ValueError):
        generate(GeneratorOptions(scenes=10, now=datetime(2026, 1, 1)))


def test_now_drives_every_timestamp() -> None:
    now = datetime(2030, 5, 5, 5, 5, 5, tzinfo=timezone.utc)
    lib = generate(GeneratorOptions(scenes=200, now=now))
    assert max(s.updated_at for s in lib.stash.scenes.values()) <= now
    assert max(i.updated_at for i in lib.plex.items.values()) <= now.timestamp()
    assert min(i.added_at for i in lib.plex.items.values()) >= (now - timedelta(41)).timestamp()


def test_ten_thousand_scenes_smoke() -> None:
    lib = generate(GeneratorOptions(scenes=10_000, seed=11))
    assert len(lib.stash.scenes) == 10_000
    assert len(lib.plex.items) > 9_000
    assert len(lib.plex.items) == len({i.rating_key for i in lib.plex.items.values()})
    parts = [p.id for i in lib.plex.items.values() for m in i.media for p in m.parts]
    assert len(parts) == len(set(parts))
    check_truth(lib)


def test_path_map_of_unresolved_options() -> None:
    assert GeneratorOptions().path_map == "/data/videos=>/media/videos"
    assert GeneratorOptions(plex_root="/data/videos/").path_map == ""
    assert GeneratorOptions(windows_plex=True, plex_root="D:\\Media\\").path_map == (
        "/data/videos=>D:\\Media"
    )
