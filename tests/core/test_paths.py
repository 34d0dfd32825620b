"""Path normalisation (plex.md §6 table), style detection, basenames and folders."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plex.paths import PathStyle, basename_of, detect_style, is_under, normalize, parent_folder

NFC_NAME = unicodedata.normalize("NFC", "/media/Fïlm Café.mkv")
NFD_NAME = unicodedata.normalize("NFD", "/media/Fïlm Café.mkv")


@pytest.mark.parametrize(
    ("path", "windows", "expected"),
    [
        # Unicode: NFD (macOS scans) equals NFC
        (NFD_NAME, False, NFC_NAME),
        # Windows: separators and case
        ("D:\\Videos\\Clip.MKV", True, "d:/videos/clip.mkv"),
        ("D:/Videos\\Mixed/Clip.mkv", True, "d:/videos/mixed/clip.mkv"),
        # UNC keeps its double leading separator
        ("\\\\NAS\\Share\\a.mkv", True, "//nas/share/a.mkv"),
        ("\\\\NAS\\\\Share\\\\\\a.mkv", True, "//nas/share/a.mkv"),
        # POSIX: backslash is a file-name character, case is exact
        ("/media/clips/back\\slash.mkv", False, "/media/clips/back\\slash.mkv"),
        ("/Media/Clips/A.mkv", False, "/Media/Clips/A.mkv"),
        # trailing and duplicate separators
        ("/media/clips/", False, "/media/clips"),
        ("/media//clips///a.mkv", False, "/media/clips/a.mkv"),
        ("D:\\Videos\\\\", True, "d:/videos"),
        ("/", False, "/"),
        ("//", False, "/"),
        ("C:\\", True, "c:/"),
    ],
)
def test_normalize_table(path: str, windows: bool, expected: str) -> None:
    assert normalize(path, windows) == expected


def test_normalize_fold_case_for_macos_style() -> None:
    assert normalize("/Volumes/Media/A.mkv", False, fold_case=True) == "/volumes/media/a.mkv"
    assert normalize("D:\\A.mkv", True, fold_case=False) == "D:/A.mkv"


def test_unc_is_not_a_rooted_path() -> None:
    assert normalize("\\\\srv\\share\\a", True) != normalize("\\srv\\share\\a", True)


@pytest.mark.parametrize(
    ("locations", "platform", "expected"),
    [
        (["/media/movies", "/mnt/clips"], None, PathStyle(False, False)),
        (["D:\\Movies"], None, PathStyle(True, True)),
        (["d:/Movies"], None, PathStyle(True, True)),
        (["\\\\NAS\\share"], None, PathStyle(True, True)),
        (["/Volumes/Media"], None, PathStyle(False, True)),
        (["/Users/me/Movies"], "MacOSX", PathStyle(False, True)),
        ([], "Linux", PathStyle(False, False)),
    ],
)
def test_detect_style(locations: list[str], platform: str | None, expected: PathStyle) -> None:
    assert detect_style(locations, platform) == expected


@pytest.mark.parametrize(
    ("path", "windows", "base", "parent"),
    [
        ("/media/clips/a clip.mp4", False, "a clip.mp4", "/media/clips"),
        ("/a.mp4", False, "a.mp4", "/"),
        ("/media/back\\slash.mp4", False, "back\\slash.mp4", "/media"),
        ("D:\\Videos\\a.mkv", True, "a.mkv", "D:\\Videos"),
        ("D:\\a.mkv", True, "a.mkv", "D:\\"),
        ("\\\\NAS\\share\\dir\\a.mkv", True, "a.mkv", "\\\\NAS\\share\\dir"),
        ("\\\\NAS\\share\\a.mkv", True, "a.mkv", "\\\\NAS\\share"),
        ("/media/clips/", False, "clips", "/media"),
    ],
)
def test_basename_and_parent_in_own_syntax(
    path: str, windows: bool, base: str, parent: str
) -> None:
    assert basename_of(path, windows) == base
    assert parent_folder(path, windows) == parent


@pytest.mark.parametrize(
    ("path", "folder", "windows", "expected"),
    [
        ("/media/clips/a.mp4", "/media/clips", False, True),
        ("/media/clips/a.mp4", "/media/clips/", False, True),
        ("/media/clips2/a.mp4", "/media/clips", False, False),
        ("/media/Clips/a.mp4", "/media/clips", False, False),
        ("D:\\Media\\Clips\\a.mp4", "d:/media/clips", True, True),
        ("D:\\Media\\Clips2\\a.mp4", "D:\\Media\\Clips", True, False),
        ("/anything/a.mp4", "/", False, True),
        ("/media/clips", "/media/clips", False, True),
    ],
)
def test_is_under_separator_boundary(path: str, folder: str, windows: bool, expected: bool) -> None:
    assert is_under(path, folder, windows) is expected


paths = st.lists(
    st.sampled_from(["a", "B", "é", "e\u0301", "ß", "\\", "/", "//", "x y", "Ǆ"]), max_size=12
).map("".join)


@settings(max_examples=300, deadline=None)
@given(paths, st.booleans(), st.booleans())
def test_normalize_is_idempotent(path: str, windows: bool, fold: bool) -> None:
    once = normalize(path, windows, fold_case=fold)
    assert normalize(once, windows, fold_case=fold) == once
