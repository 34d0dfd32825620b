"""`doctor.suggest`: the inferred path_map fixes what it claims and never invents a wrong rule."""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.suggest import suggest_path_map
from plex.paths import detect_style, normalize
from validation.path_map import PathMap

TREE = [
    ("Movies", "Studio A", "first (2020) - 01.mp4"),
    ("Movies", "Studio A", "second - 02.mkv"),
    ("Movies", "Studio B", "third - 03.mp4"),
    ("Movies", "Ünïcode Földer", "fourth - 04.mp4"),
    ("Shared", "Best of & More", "fifth - 05.avi"),
    ("Clips", "Misc", "sixth - 06.mp4"),
    ("Clips", "Misc", "seventh - 07.mp4"),
]


def join(root: str, parts: tuple[str, ...]) -> str:
    windows = "\\" in root or root[1:2] == ":"
    sep = "\\" if windows else "/"
    return root.rstrip(sep) + sep + sep.join(parts)


def library(stash_root: str, plex_root: str, tree: list[tuple[str, ...]] = TREE) -> dict[str, Any]:
    stash = [[join(stash_root, parts)] for parts in tree]
    plex = [join(plex_root, parts) for parts in tree]
    tops = sorted({parts[0] for parts in tree})
    return {"stash": stash, "plex": plex, "locations": [join(plex_root, (t,)) for t in tops]}


def keyed(path: str, locations: list[str]) -> str:
    style = detect_style(locations)
    return normalize(path, style.windows, fold_case=style.fold_case)


def assert_maps_all(value: str, lib: dict[str, Any]) -> None:
    mapping = PathMap.parse(value)
    for [stash_path], plex_path in zip(lib["stash"], lib["plex"], strict=True):
        mapped = mapping.to_plex(stash_path)
        assert keyed(mapped, lib["locations"]) == keyed(plex_path, lib["locations"])


def test_posix_to_posix() -> None:
    lib = library("/data/videos", "/media/videos")
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    assert found.found and found.path_map == "/data/videos=>/media/videos"
    assert found.fixes == len(TREE) and found.matched_before == 0
    assert found.support == (len(TREE),)


def test_without_locations_the_rule_is_the_widest_alignment() -> None:
    lib = library("/data/videos", "/media/videos")
    found = suggest_path_map(lib["stash"], lib["plex"])
    assert found.path_map == "/data=>/media"
    assert_maps_all(found.path_map, lib)


def test_windows_stash_to_posix_plex() -> None:
    lib = library("E:\\Videos", "/media/videos")
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    assert found.path_map == "E:\\Videos=>/media/videos"
    assert_maps_all(found.path_map, lib)


def test_posix_stash_to_windows_unc_plex() -> None:
    lib = library("/mnt/nas/videos", "\\\\NAS\\share\\Videos")
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    assert found.path_map == "/mnt/nas/videos=>\\\\NAS\\share\\Videos"
    assert_maps_all(found.path_map, lib)


def test_windows_plex_compares_case_insensitively() -> None:
    lib = library("/data/VIDEOS", "D:\\videos")
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    # `VIDEOS` and `videos` are one folder to a Windows Plex: the roots differ above it.
    assert found.found
    assert_maps_all(found.path_map, lib)


def test_two_roots() -> None:
    movies = library("/data/videos", "/media/videos", [p for p in TREE if p[0] != "Clips"])
    clips_tree = [p[1:] for p in TREE if p[0] == "Clips"] + [("Misc", "eighth - 08.mp4")]
    stash = movies["stash"] + [[join("/mnt/clips", p)] for p in clips_tree]
    plex = movies["plex"] + [join("/media/videos/Clips", p) for p in clips_tree]
    locations = [*movies["locations"], "/media/videos/Clips"]
    found = suggest_path_map(stash, plex, locations=locations)
    assert set(found.path_map.split("; ")) == {
        "/data/videos=>/media/videos",
        "/mnt/clips=>/media/videos/Clips",
    }
    assert found.fixes == len(stash)


def test_already_correct_map_gives_no_suggestion() -> None:
    lib = library("/data/videos", "/media/videos")
    for current in (
        "/data/videos=>/media/videos",
        "/data=>/media",
        "/data/videos/=>/media/videos/",
    ):
        found = suggest_path_map(
            lib["stash"], lib["plex"], current=current, locations=lib["locations"]
        )
        assert not found.found and found.fixes == 0
        assert found.matched_before == found.matched_after == len(TREE)
        assert found.path_map == PathMap.parse(current).format()


def test_same_paths_on_both_sides_need_no_map() -> None:
    lib = library("/srv/media", "/srv/media")
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    assert not found.found and found.path_map == ""


def test_a_wrong_current_map_is_replaced() -> None:
    lib = library("/srv/media", "/srv/media")
    found = suggest_path_map(lib["stash"], lib["plex"], current="/srv=>/elsewhere")
    assert found.found and found.path_map == "" and found.fixes == len(TREE)


def test_a_current_rule_for_another_root_is_kept() -> None:
    lib = library("/data/videos", "/media/videos")
    found = suggest_path_map(
        lib["stash"], lib["plex"], current="/other=>/plex/other", locations=lib["locations"]
    )
    assert set(found.path_map.split("; ")) == {"/data/videos=>/media/videos", "/other=>/plex/other"}


def test_shared_basenames_never_make_a_rule() -> None:
    # Each Stash file's name exists twice in Plex (two other folders): no rule may come of it.
    names = [f"Clip {n:04d}.mp4" for n in range(10)]
    stash = [[f"/data/videos/New/{name}"] for name in names]
    plex = [f"/media/videos/A/{name}" for name in names] + [
        f"/media/videos/B/{name}" for name in names
    ]
    found = suggest_path_map(stash, plex, locations=["/media/videos/A", "/media/videos/B"])
    assert not found.found and found.aligned == 0 and found.skipped_not_unique == len(names)


def test_basename_shared_among_stash_files_is_skipped() -> None:
    stash = [["/data/videos/A/x.mp4"], ["/data/videos/B/x.mp4"], ["/data/videos/C/y.mp4"]]
    plex = ["/media/elsewhere/x.mp4", "/media/videos/C/y.mp4"]
    found = suggest_path_map(stash, plex, min_support=1)
    assert found.skipped_not_unique == 2
    assert found.path_map in ("/data=>/media", "/data/videos=>/media/videos")


def test_noise_does_not_change_the_rule() -> None:
    lib = library("/data/videos", "/media/videos")
    # Not scanned, outside every library, and one stray whose name sits in another Plex folder.
    noise = [["/data/videos/Movies/new - 99.mp4"], ["/data/videos/Unsorted/zz.mp4"]]
    noise.append(["/data/videos/Other/stray.mp4"])
    plex = [*lib["plex"], "/media/videos/Clips/Misc/stray.mp4"]
    found = suggest_path_map(lib["stash"] + noise, plex, locations=lib["locations"])
    assert found.path_map == "/data/videos=>/media/videos"
    assert found.scenes == len(TREE) + 3


def test_nfd_plex_paths_align_with_nfc_stash_paths() -> None:
    lib = library("/data/videos", "/media/videos")
    lib["plex"] = [unicodedata.normalize("NFD", p) for p in lib["plex"]]
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    assert found.path_map == "/data/videos=>/media/videos" and found.fixes == len(TREE)


def test_multi_file_scene_counts_once() -> None:
    lib = library("/data/videos", "/media/videos")
    stash = [[a[0], b[0]] for a, b in zip(lib["stash"][0::2], lib["stash"][1::2], strict=False)]
    found = suggest_path_map(stash, lib["plex"], locations=lib["locations"])
    assert found.fixes == len(stash)


# -- properties ---------------------------------------------------------------------------------

COMPONENT = st.text(alphabet="abcXYZ019 _-()&'é", min_size=1, max_size=8).filter(
    lambda s: s.strip() not in ("", ".", "..") and s == s.strip()
)
POSIX_ROOTS = st.lists(COMPONENT, min_size=1, max_size=3).map(lambda c: "/" + "/".join(c))
DRIVE_ROOTS = st.tuples(st.sampled_from("CDEZ"), st.lists(COMPONENT, max_size=2)).map(
    lambda t: "\\".join([t[0] + ":", *t[1]]) if t[1] else t[0] + ":\\"
)
UNC_ROOTS = st.lists(COMPONENT, min_size=2, max_size=3).map(lambda c: "\\\\" + "\\".join(c))
ROOTS = st.one_of(POSIX_ROOTS, DRIVE_ROOTS, UNC_ROOTS)
FOLDERS = st.lists(st.lists(COMPONENT, min_size=1, max_size=3), min_size=1, max_size=4)
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def trees(draw: Any) -> list[tuple[str, ...]]:
    folders = draw(FOLDERS)
    count = draw(st.integers(min_value=3, max_value=30))
    return [
        (*folders[n % len(folders)], f"file {n:03d}{draw(st.sampled_from(['.mp4', '.mkv']))}")
        for n in range(count)
    ]


def _same_root(stash_root: str, plex_root: str, locations: list[str]) -> bool:
    return keyed(stash_root, locations) == keyed(plex_root, locations)


@PROPS
@given(stash_root=ROOTS, plex_root=ROOTS, tree=trees())
def test_property_the_suggestion_maps_every_file(
    stash_root: str, plex_root: str, tree: list[tuple[str, ...]]
) -> None:
    lib = library(stash_root, plex_root, tree)
    found = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    if _same_root(stash_root, plex_root, lib["locations"]):
        assert not found.found
        return
    assert found.found and found.fixes == len(tree)
    assert PathMap.parse(found.path_map).format() == found.path_map  # pastes as printed
    assert_maps_all(found.path_map, lib)


@PROPS
@given(stash_root=ROOTS, plex_root=ROOTS, tree=trees(), data=st.data())
def test_property_correct_map_is_left_alone(
    stash_root: str, plex_root: str, tree: list[tuple[str, ...]], data: Any
) -> None:
    lib = library(stash_root, plex_root, tree)
    first = suggest_path_map(lib["stash"], lib["plex"], locations=lib["locations"])
    again = suggest_path_map(
        lib["stash"], lib["plex"], current=first.path_map, locations=lib["locations"]
    )
    assert not again.found and again.path_map == first.path_map
