"""Matching Stash scenes to Plex items (SPEC §2.4): exact first, guarded basename fallback."""

from __future__ import annotations

import unicodedata

from base.status import SceneStatus
from plex.matching import (
    IndexEntry,
    PathIndexView,
    SceneFiles,
    SectionLocations,
    match_scenes,
    stash_basename_counts,
)
from plex.paths import PathStyle
from validation.path_map import PathMap

POSIX = PathStyle()
WINDOWS = PathStyle(windows=True, fold_case=True)
SECTIONS = [
    SectionLocations(1, ("/media/movies",)),
    SectionLocations(2, ("/media/clips", "/mnt/archive/clips")),
]


def scene(scene_id: int, *files: str | tuple[str, int | None]) -> SceneFiles:
    return SceneFiles(scene_id, tuple(f if isinstance(f, tuple) else (f, None) for f in files))


def run(scenes, entries, mapper=None, style=POSIX, sections=SECTIONS, **kw):
    return match_scenes(scenes, PathIndexView(entries, style), mapper, sections, **kw)


def test_exact_match() -> None:
    result = run([scene(1, "/media/clips/a.mp4")], [IndexEntry(2, 1005, "/media/clips/a.mp4", 10)])[
        1
    ]
    assert result.status is SceneStatus.MATCHED
    assert result.targets == ((2, 1005),)
    assert result.how == "exact"
    assert result.matched_file == "/media/clips/a.mp4"


def test_duplicate_basenames_in_different_folders_exact_wins() -> None:
    entries = [
        IndexEntry(2, 1, "/media/clips/x/a.mp4", 10),
        IndexEntry(2, 2, "/media/clips/y/a.mp4", 10),
    ]
    results = run([scene(1, "/media/clips/x/a.mp4"), scene(2, "/media/clips/y/a.mp4")], entries)
    assert results[1].targets == ((2, 1),)
    assert results[2].targets == ((2, 2),)
    assert {r.how for r in results.values()} == {"exact"}


def test_basename_fallback_refused_when_not_unique_in_plex() -> None:
    entries = [
        IndexEntry(2, 1, "/media/clips/x/a.mp4", 10),
        IndexEntry(2, 2, "/media/clips/y/a.mp4", 10),
    ]
    result = run([scene(7, ("/stash/z/a.mp4", 10))], entries)[7]
    assert result.status is SceneStatus.OUTSIDE_LIBRARIES
    assert "shared by 2 Plex parts" in result.reason


def test_basename_fallback_refused_when_not_unique_among_stash_scenes() -> None:
    entries = [IndexEntry(2, 1, "/media/clips/x/a.mp4", 10)]
    results = run([scene(7, ("/stash/p/a.mp4", 10)), scene(8, ("/stash/q/a.mp4", 10))], entries)
    assert results[7].status is SceneStatus.OUTSIDE_LIBRARIES
    assert "used by 2 Stash scenes" in results[7].reason
    # counts from the whole library apply even when matching one scene
    counts = stash_basename_counts(
        [scene(7, "/stash/p/a.mp4"), scene(8, "/stash/q/a.mp4")], PathIndexView([], POSIX)
    )
    alone = run([scene(7, ("/stash/p/a.mp4", 10))], entries, stash_basenames=counts)[7]
    assert alone.status is not SceneStatus.MATCHED


def test_basename_fallback_only_with_equal_sizes() -> None:
    entries = [IndexEntry(2, 1, "/media/clips/x/a.mp4", 10)]
    assert run([scene(7, ("/stash/a.mp4", 11))], entries)[7].status is SceneStatus.OUTSIDE_LIBRARIES
    assert (
        run([scene(7, ("/stash/a.mp4", None))], entries)[7].status is SceneStatus.OUTSIDE_LIBRARIES
    )
    ok = run([scene(7, ("/stash/a.mp4", 10))], entries)[7]
    assert ok.status is SceneStatus.MATCHED
    assert ok.how == "basename"
    assert ok.targets == ((2, 1),)


def test_windows_paths_match_case_and_separator_insensitively() -> None:
    entries = [IndexEntry(3, 9, "D:\\Videos\\Sub\\Clip.MKV", 5)]
    sections = [SectionLocations(3, ("D:\\Videos",))]
    result = run([scene(1, "d:/videos/sub/clip.mkv")], entries, style=WINDOWS, sections=sections)[1]
    assert result.status is SceneStatus.MATCHED
    assert result.targets == ((3, 9),)


def test_nfd_names_match_nfc_index() -> None:
    nfc = unicodedata.normalize("NFC", "/media/clips/Fïlm Café.mp4")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert run([scene(1, nfd)], [IndexEntry(2, 4, nfc, 1)])[1].targets == ((2, 4),)
    assert run([scene(1, nfc)], [IndexEntry(2, 4, nfd, 1)])[1].targets == ((2, 4),)


def test_mapped_prefixes_longest_prefix_wins() -> None:
    mapper = PathMap.parse("/data=>/media; /data/archive=>/mnt/archive").to_plex
    entries = [
        IndexEntry(2, 1, "/mnt/archive/clips/a.mp4", 1),
        IndexEntry(2, 2, "/media/clips/b.mp4", 1),
    ]
    results = run(
        [scene(1, "/data/archive/clips/a.mp4"), scene(2, "/data/clips/b.mp4")], entries, mapper
    )
    assert results[1].targets == ((2, 1),)
    assert results[2].targets == ((2, 2),)
    assert results[1].how == results[2].how == "mapped"


def test_windows_stash_mapped_to_posix_plex() -> None:
    mapper = PathMap.parse("D:\\Stash=>/media/clips").to_plex
    result = run(
        [scene(1, "D:\\Stash\\Sub\\a.mp4")], [IndexEntry(2, 5, "/media/clips/Sub/a.mp4", 1)], mapper
    )[1]
    assert result.targets == ((2, 5),)


def test_same_file_in_two_sections_gives_two_targets() -> None:
    entries = [
        IndexEntry(1, 10, "/media/clips/a.mp4", 1),
        IndexEntry(2, 20, "/media/clips/a.mp4", 1),
    ]
    result = run([scene(1, "/media/clips/a.mp4")], entries)[1]
    assert result.status is SceneStatus.MATCHED
    assert result.targets == ((1, 10), (2, 20))


def test_file_outside_every_section_vs_not_scanned_yet() -> None:
    results = run([scene(1, "/elsewhere/a.mp4"), scene(2, "/mnt/archive/clips/new/b.mp4")], [])
    assert results[1].status is SceneStatus.OUTSIDE_LIBRARIES
    assert "outside your Plex libraries" in results[1].reason
    assert results[1].scan_folders == ()
    assert results[2].status is SceneStatus.NOT_SCANNED
    assert results[2].scan_folders == ((2, "/mnt/archive/clips/new"),)
    # a sibling folder sharing the prefix text is still outside
    assert run([scene(3, "/media/clips2/a.mp4")], [])[3].status is SceneStatus.OUTSIDE_LIBRARIES


def test_not_found_scan_folder_in_plex_syntax() -> None:
    mapper = PathMap.parse("/data=>D:\\Media").to_plex
    sections = [SectionLocations(4, ("d:\\media",))]
    result = run([scene(1, "/data/sub/a.mkv")], [], mapper, style=WINDOWS, sections=sections)[1]
    assert result.status is SceneStatus.NOT_SCANNED
    assert result.scan_folders == ((4, "D:\\Media\\sub"),)


def test_two_scenes_claiming_one_item_are_both_ambiguous() -> None:
    entries = [IndexEntry(2, 1, "/media/clips/a.mp4", 1)]
    results = run([scene(1, "/media/clips/a.mp4"), scene(2, "/media/clips/a.mp4")], entries)
    for scene_id in (1, 2):
        result = results[scene_id]
        assert result.status is SceneStatus.AMBIGUOUS
        assert result.targets == ()
        assert {c.scene_id for c in result.candidates} == {1, 2}
        assert {(c.section_id, c.rating_key) for c in result.candidates} == {(2, 1)}


def test_several_items_of_one_section_for_one_scene_is_ambiguous() -> None:
    entries = [IndexEntry(2, 1, "/media/clips/a.mp4", 1), IndexEntry(2, 2, "/media/clips/b.mp4", 1)]
    result = run([scene(1, "/media/clips/a.mp4", "/media/clips/b.mp4")], entries)[1]
    assert result.status is SceneStatus.AMBIGUOUS
    assert {(c.section_id, c.rating_key) for c in result.candidates} == {(2, 1), (2, 2)}
    # two parts of one item (stacked/versions) are not ambiguous
    stacked = [IndexEntry(2, 1, "/media/clips/a.mp4", 1), IndexEntry(2, 1, "/media/clips/b.mp4", 1)]
    assert run([scene(1, "/media/clips/a.mp4", "/media/clips/b.mp4")], stacked)[1].targets == (
        (2, 1),
    )


def test_multi_file_scene_matches_through_second_file() -> None:
    entries = [IndexEntry(2, 8, "/media/clips/second.mp4", 1)]
    result = run([scene(1, "/media/clips/first.mp4", "/media/clips/second.mp4")], entries)[1]
    assert result.status is SceneStatus.MATCHED
    assert result.targets == ((2, 8),)
    assert result.matched_file == "/media/clips/second.mp4"


def test_no_files() -> None:
    assert run([scene(1)], [])[1].status is SceneStatus.NO_FILES


def test_scene_files_from_stash_dict() -> None:
    files = [{"path": "/a.mp4", "size": "123"}, {"path": "/b.mp4", "size": None}, {"nopath": 1}]
    assert SceneFiles.from_stash({"id": "5", "files": files}) == SceneFiles(
        5, (("/a.mp4", 123), ("/b.mp4", None))
    )
    assert SceneFiles.from_stash({"id": None, "files": []}) is None


def test_matches_every_scene_of_a_50000_item_library() -> None:
    """Correct at full size; its speed is measured in bench/index_build.py, not here."""
    n = 50_000
    entries = [
        IndexEntry(1 + i % 2, i, f"/media/clips/d{i % 97}/file {i}.mp4", i) for i in range(n)
    ]
    scenes = [scene(i, (f"/media/clips/d{i % 97}/file {i}.mp4", i)) for i in range(n)]
    index = PathIndexView(entries, POSIX)
    results = match_scenes(scenes, index, None, SECTIONS)
    assert len(index) == n and len(results) == n
    assert all(r.status is SceneStatus.MATCHED for r in results.values())
    assert {r.targets[0][1] for r in results.values()} == set(range(n))
