"""path_map: parsing, validation messages, longest prefix, separator boundaries, styles."""

from __future__ import annotations

import pytest

from validation.path_map import PathMap, PathMapError, PathRule, is_windows_path


def test_parses_several_entries_and_normalises_them() -> None:
    mapping = PathMap.parse(" /data/ => /media ; D:/Videos\\=>/mnt/videos;\n/x=>/y;; ")
    assert mapping.rules == (
        PathRule("/data", "/media"),
        PathRule("D:\\Videos", "/mnt/videos"),
        PathRule("/x", "/y"),
    )
    assert mapping.format() == "/data=>/media; D:\\Videos=>/mnt/videos; /x=>/y"
    assert PathMap.parse(mapping.format()) == mapping


@pytest.mark.parametrize("text", ["", "   ", None, ";;"])
def test_empty_setting_maps_nothing(text: str | None) -> None:
    mapping = PathMap.parse(text)
    assert not mapping and mapping.to_plex("/data/a.mp4") == "/data/a.mp4"


def test_longest_prefix_wins_whatever_the_order() -> None:
    for text in ("/data=>/media; /data/private=>/secret", "/data/private=>/secret; /data=>/media"):
        mapping = PathMap.parse(text)
        assert mapping.to_plex("/data/private/a.mp4") == "/secret/a.mp4"
        assert mapping.to_plex("/data/public/a.mp4") == "/media/public/a.mp4"


def test_prefix_matches_only_at_a_separator_boundary() -> None:
    mapping = PathMap.parse("/data=>/media")
    assert mapping.to_plex("/database/a.mp4") == "/database/a.mp4"
    assert mapping.to_plex("/data") == "/media"
    assert mapping.to_plex("/data/") == "/media/"
    assert mapping.to_plex("/Data/a.mp4") == "/Data/a.mp4"  # POSIX paths are case-sensitive


def test_windows_prefixes_match_case_insensitively_with_either_separator() -> None:
    mapping = PathMap.parse("D:\\Videos=>/mnt/videos")
    assert mapping.to_plex("d:/videos/Sub Dir/ä.mp4") == "/mnt/videos/Sub Dir/ä.mp4"
    assert mapping.to_plex("D:\\VIDEOS\\x\\y.mp4") == "/mnt/videos/x/y.mp4"
    assert mapping.to_plex("D:\\VideosOld\\y.mp4") == "D:\\VideosOld\\y.mp4"


def test_target_side_separator_style_and_reverse_mapping() -> None:
    mapping = PathMap.parse("/media=>\\\\nas\\share\\media")
    assert mapping.to_plex("/media/a/b.mp4") == "\\\\nas\\share\\media\\a\\b.mp4"
    assert mapping.to_stash("\\\\NAS\\share\\media\\a\\b.mp4") == "/media/a/b.mp4"


def test_root_prefixes() -> None:
    mapping = PathMap.parse("/=>/mnt/root; C:=>/c")
    assert mapping.to_plex("/a/b.mp4") == "/mnt/root/a/b.mp4"
    assert mapping.to_plex("C:\\a\\b.mp4") == "/c/a/b.mp4"


def test_paths_are_compared_in_nfc() -> None:
    decomposed = "/data/Cafe\u0301"
    mapping = PathMap.parse("/data/Caf\u00e9=>/media/cafe")
    assert mapping.to_plex(decomposed + "/a.mp4") == "/media/cafe/a.mp4"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/data", "entry 1 ('/data') needs exactly one '=>'"),
        ("/a=>/b; /c=>/d=>/e", "entry 2"),
        ("=>/media", "has an empty side"),
        ("/data=> ", "has an empty side"),
        ("data=>/media", "'data' is not an absolute path"),
        ("/data=>media", "'media' is not an absolute path"),
        ("/data=>/a; /data/=>/b", "repeats the Stash prefix '/data'"),
        ("D:\\x=>/a; d:/X=>/b", "repeats the Stash prefix"),
    ],
)
def test_bad_entries_are_rejected_with_a_message_naming_them(text: str, message: str) -> None:
    with pytest.raises(PathMapError) as raised:
        PathMap.parse(text)
    assert message in str(raised.value)


def test_windows_path_detection() -> None:
    assert is_windows_path("C:\\x") and is_windows_path("c:/x") and is_windows_path("\\\\nas\\s")
    assert not is_windows_path("/c:/x") and not is_windows_path("relative\\path")
