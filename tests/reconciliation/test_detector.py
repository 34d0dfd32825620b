"""Unit tests for the pure GapDetector and has_meaningful_metadata (SPEC §3 contract).

Scenes are shaped like stashapi scene dicts: string ids, RFC3339 `updated_at`, files primary
first, studio/performers/tags as objects with a `name`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

import pytest

from reconciliation.detector import GapDetector, GapResult, has_meaningful_metadata

NOV19 = datetime(2026, 11, 19, 9, 0, 0, tzinfo=timezone.utc).timestamp()
NOV20 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=timezone.utc).timestamp()

_UNSET = object()


def scene(
    scene_id: Any = "1",
    path: Any = "/media/a.mp4",
    updated_at: Any = "2026-11-20T10:00:00Z",
    files: Any = _UNSET,
    **metadata: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": scene_id,
        "title": "A title",
        "updated_at": updated_at,
        "rating100": 80,
        "files": [{"path": path, "basename": "a.mp4", "size": 10}] if files is _UNSET else files,
        "studio": None,
        "performers": [],
        "tags": [],
        "details": None,
        "date": None,
    }
    data.update(metadata)
    return data


RICH = {"studio": {"id": "3", "name": "Studio"}, "tags": [{"id": "1", "name": "Tag"}]}
EMPTY_PLEX = {"studio": None, "performers": [], "tags": [], "details": "", "date": None}
FULL_PLEX = {"studio": "Studio", "performers": ["P"], "tags": [], "details": "", "date": None}


@pytest.fixture
def detector() -> GapDetector:
    return GapDetector()


# -- GapResult ---------------------------------------------------------------------------------


def test_gap_result_fields_are_the_contract() -> None:
    names = [(f.name, f.type) for f in dataclasses.fields(GapResult)]
    assert names == [
        ("scene_id", "int"),
        ("gap_type", "str"),
        ("scene_data", "dict"),
        ("reason", "str"),
    ]
    gap = GapResult(scene_id=1, gap_type="missing", scene_data={}, reason="r")
    assert gap == GapResult(1, "missing", {}, "r")


# -- has_meaningful_metadata -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"studio": "Studio"},
        {"studio": {"id": "1", "name": "Studio"}},
        {"performers": ["Alice"]},
        {"performers": [{"id": "1", "name": "Alice"}]},
        {"tags": ["tag"]},
        {"tags": [{"id": "1", "name": "tag"}]},
        {"details": "Some details"},
        {"date": "2024-01-02"},
        {"date": "2024"},
        {"studio": None, "performers": [], "tags": [], "details": "", "date": "2024-01"},
        {"title": "x", "rating100": 20, "details": "d"},
    ],
)
def test_meaningful(data: dict[str, Any]) -> None:
    assert has_meaningful_metadata(data) is True


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rating100": 80},
        {"rating": 5, "userRating": 8.0},
        {"title": "Only a title"},
        {"studio": None, "performers": [], "tags": [], "details": None, "date": None},
        {"studio": "", "performers": [], "tags": [], "details": "", "date": ""},
        {"studio": None, "performers": None, "tags": None, "rating100": 100},
    ],
)
def test_not_meaningful(data: dict[str, Any]) -> None:
    assert has_meaningful_metadata(data) is False


# -- ids, files, paths: shared by all three detectors ------------------------------------------


def _run_all(detector: GapDetector, scenes: list[dict[str, Any]]) -> dict[str, list[GapResult]]:
    """Feed `scenes` to each detector with inputs that make every usable scene a gap."""
    paths = {s["files"][0]["path"] for s in scenes if _has_path(s)}
    sync = {int(s["id"]): NOV19 for s in scenes if _int_id(s) is not None}
    return {
        "empty_metadata": detector.detect_empty_metadata(scenes, dict.fromkeys(paths, EMPTY_PLEX)),
        "stale_sync": detector.detect_stale_syncs(scenes, sync),
        "missing": detector.detect_missing(scenes, {}, set()),
    }


def _has_path(s: dict[str, Any]) -> bool:
    try:
        return isinstance(s["files"][0]["path"], str) and bool(s["files"][0]["path"])
    except (KeyError, IndexError, TypeError):
        return False


def _int_id(s: dict[str, Any]) -> int | None:
    raw = s.get("id")
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    return raw if type(raw) is int else None


def test_string_ids_are_reported_as_int(detector: GapDetector) -> None:
    results = _run_all(detector, [scene("42", **RICH)])
    for gap_type, gaps in results.items():
        assert [(g.scene_id, g.gap_type) for g in gaps] == [(42, gap_type)]
        assert type(gaps[0].scene_id) is int


def test_int_ids_are_accepted(detector: GapDetector) -> None:
    results = _run_all(detector, [scene(7, **RICH)])
    assert {k: [g.scene_id for g in v] for k, v in results.items()} == {
        "empty_metadata": [7],
        "stale_sync": [7],
        "missing": [7],
    }


@pytest.mark.parametrize(
    "bad_id", [None, "", "abc", "4_2", " 42", "42 ", "+42", "-1", -1, "1.0", 1.5, True, "²", [1]]
)
def test_unparsable_ids_are_skipped(detector: GapDetector, bad_id: Any) -> None:
    scenes = [scene(bad_id, path="/bad.mp4", **RICH), scene("2", path="/good.mp4", **RICH)]
    paths = {"/bad.mp4": EMPTY_PLEX, "/good.mp4": EMPTY_PLEX}
    assert [g.scene_id for g in detector.detect_empty_metadata(scenes, paths)] == [2]
    assert [g.scene_id for g in detector.detect_missing(scenes, {}, set())] == [2]
    assert [g.scene_id for g in detector.detect_stale_syncs(scenes, {2: NOV19})] == [2]


@pytest.mark.parametrize(
    "files",
    [
        _UNSET,  # key absent (replaced below)
        None,
        [],
        [{}],
        [{"path": None}],
        [{"path": ""}],
        [{"path": 12}],
        [None, {"path": "/second.mp4"}],
        [{"basename": "a.mp4"}, {"path": "/second.mp4"}],  # only the first file counts
        "not a list",
        {"path": "/a.mp4"},
    ],
)
def test_scenes_without_a_first_file_path_are_skipped(detector: GapDetector, files: Any) -> None:
    bad = scene("1", files=files, **RICH)
    if files is _UNSET:
        del bad["files"]
    good = scene("2", path="/good.mp4", **RICH)
    plex = {"/second.mp4": EMPTY_PLEX, "/good.mp4": EMPTY_PLEX}
    assert [g.scene_id for g in detector.detect_empty_metadata([bad, good], plex)] == [2]
    assert [g.scene_id for g in detector.detect_missing([bad, good], {}, set())] == [2]
    assert [g.scene_id for g in detector.detect_stale_syncs([bad, good], {1: NOV19, 2: NOV19})] == [
        2
    ]


def test_non_dict_scenes_and_empty_inputs_never_crash(detector: GapDetector) -> None:
    junk: list[Any] = [None, 3, "scene", [], scene("5", **RICH)]
    assert [g.scene_id for g in detector.detect_missing(junk, {}, set())] == [5]
    assert detector.detect_missing([], {}, set()) == []
    assert detector.detect_stale_syncs([], {}) == []
    assert detector.detect_empty_metadata([], {}) == []
    assert detector.detect_missing(None, None, None) == []  # type: ignore[arg-type]
    assert detector.detect_empty_metadata([scene()], None) == []  # type: ignore[arg-type]
    assert detector.detect_stale_syncs([scene()], None) == []  # type: ignore[arg-type]


def test_scenes_may_be_any_iterable(detector: GapDetector) -> None:
    pager = (scene(str(i), path=f"/{i}.mp4") for i in range(1, 4))
    assert [g.scene_id for g in detector.detect_missing(pager, {}, {"/2.mp4"})] == [1, 3]


def test_duplicates_are_reported_as_given_dedupe_is_the_engines_job(
    detector: GapDetector,
) -> None:
    s = scene("9", **RICH)
    assert [g.scene_id for g in detector.detect_missing([s, s], {}, set())] == [9, 9]


def test_scene_data_is_the_scene_itself(detector: GapDetector) -> None:
    s = scene("3")
    [gap] = detector.detect_missing([s], {}, set())
    assert gap.scene_data is s


# -- detect_empty_metadata ---------------------------------------------------------------------


def test_empty_metadata_gap(detector: GapDetector) -> None:
    s = scene("10", path="/v/x.mp4", performers=[{"name": "A"}, {"name": "B"}], **RICH)
    [gap] = detector.detect_empty_metadata([s], {"/v/x.mp4": EMPTY_PLEX})
    assert (gap.scene_id, gap.gap_type, gap.scene_data) == (10, "empty_metadata", s)
    assert "studio" in gap.reason
    assert "performers (2)" in gap.reason
    assert "tags (1)" in gap.reason


@pytest.mark.parametrize("plex_entry", [{}, None, EMPTY_PLEX, {"rating": 8.0, "title": "T"}])
def test_empty_plex_entry_shapes(detector: GapDetector, plex_entry: Any) -> None:
    s = scene("10", details="Details")
    gaps = detector.detect_empty_metadata([s], {"/media/a.mp4": plex_entry})
    assert [g.scene_id for g in gaps] == [10]


def test_no_gap_when_plex_has_metadata(detector: GapDetector) -> None:
    s = scene("10", **RICH)
    assert detector.detect_empty_metadata([s], {"/media/a.mp4": FULL_PLEX}) == []
    assert detector.detect_empty_metadata([s], {"/media/a.mp4": {"date": "2020-01-01"}}) == []


def test_no_gap_when_stash_has_no_meaningful_metadata_either(detector: GapDetector) -> None:
    s = scene("10", rating100=100, title="Only title and rating")
    assert detector.detect_empty_metadata([s], {"/media/a.mp4": EMPTY_PLEX}) == []


def test_no_gap_for_scenes_not_in_the_map(detector: GapDetector) -> None:
    s = scene("10", **RICH)
    assert detector.detect_empty_metadata([s], {"/media/other.mp4": EMPTY_PLEX}) == []


def test_map_key_is_the_stash_path_exactly(detector: GapDetector) -> None:
    s = scene("10", path="C:\\Media\\Clip.MP4", **RICH)
    assert detector.detect_empty_metadata([s], {"c:/media/clip.mp4": EMPTY_PLEX}) == []
    assert len(detector.detect_empty_metadata([s], {"C:\\Media\\Clip.MP4": EMPTY_PLEX})) == 1


def test_empty_metadata_ignores_sync_state(detector: GapDetector) -> None:
    # An agent refresh wiping a synced item is exactly this gap: no timestamps involved.
    s = scene("10", updated_at="garbage", **RICH)
    assert len(detector.detect_empty_metadata([s], {"/media/a.mp4": EMPTY_PLEX})) == 1


# -- detect_stale_syncs ------------------------------------------------------------------------


def test_stale_when_updated_after_the_synced_timestamp(detector: GapDetector) -> None:
    s = scene("5", updated_at="2026-11-20T10:00:00Z")
    [gap] = detector.detect_stale_syncs([s], {5: NOV19})
    assert (gap.scene_id, gap.gap_type) == (5, "stale_sync")
    assert gap.reason == (
        "updated in Stash 2026-11-20T10:00:00Z after last sync 2026-11-19T09:00:00Z"
    )


def test_equal_timestamps_are_not_stale(detector: GapDetector) -> None:
    assert (
        detector.detect_stale_syncs([scene("5", updated_at="2026-11-20T10:00:00Z")], {5: NOV20})
        == []
    )


def test_offset_equals_same_instant_in_z(detector: GapDetector) -> None:
    s = scene("5", updated_at="2026-11-20T11:00:00+01:00")
    assert detector.detect_stale_syncs([s], {5: NOV20}) == []
    assert len(detector.detect_stale_syncs([s], {5: NOV20 - 1})) == 1
    [gap] = detector.detect_stale_syncs([s], {5: NOV20 - 1})
    assert "2026-11-20T11:00:00+01:00" in gap.reason
    assert "2026-11-20T09:59:59Z" in gap.reason


def test_negative_offset(detector: GapDetector) -> None:
    s = scene("5", updated_at="2026-11-20T05:00:00-05:00")
    assert detector.detect_stale_syncs([s], {5: NOV20}) == []
    assert len(detector.detect_stale_syncs([s], {5: NOV20 - 0.5})) == 1


def test_older_than_sync_is_not_stale(detector: GapDetector) -> None:
    s = scene("5", updated_at="2026-11-19T08:59:59Z")
    assert detector.detect_stale_syncs([s], {5: NOV19}) == []


def test_microsecond_fractions(detector: GapDetector) -> None:
    s = scene("5", updated_at="2026-11-20T10:00:00.000001Z")
    assert len(detector.detect_stale_syncs([s], {5: NOV20})) == 1
    same = scene("5", updated_at="2026-11-20T10:00:00.250000Z")
    assert detector.detect_stale_syncs([same], {5: NOV20 + 0.25}) == []
    with_offset = scene("5", updated_at="2026-11-20T11:00:00.25+01:00")
    assert detector.detect_stale_syncs([with_offset], {5: NOV20 + 0.25}) == []
    assert len(detector.detect_stale_syncs([with_offset], {5: NOV20 + 0.249})) == 1


def test_sync_timestamp_may_be_int(detector: GapDetector) -> None:
    s = scene("5", updated_at="2026-11-20T10:00:00Z")
    assert detector.detect_stale_syncs([s], {5: int(NOV20)}) == []
    assert len(detector.detect_stale_syncs([s], {5: int(NOV19)})) == 1


@pytest.mark.parametrize(
    "updated_at", [None, "", "yesterday", "2026-11-20", "2026-13-20T10:00:00Z", 1e12, ["x"]]
)
def test_unparsable_updated_at_is_skipped(detector: GapDetector, updated_at: Any) -> None:
    scenes = [scene("5", updated_at=updated_at), scene("6")]
    assert [g.scene_id for g in detector.detect_stale_syncs(scenes, {5: NOV19, 6: NOV19})] == [6]


@pytest.mark.parametrize("synced", [None, "2026-11-19T09:00:00Z", float("nan"), True, [1]])
def test_unusable_sync_value_is_skipped(detector: GapDetector, synced: Any) -> None:
    assert detector.detect_stale_syncs([scene("5")], {5: synced}) == []


def test_unsynced_scenes_are_not_stale(detector: GapDetector) -> None:
    assert detector.detect_stale_syncs([scene("5")], {6: NOV19}) == []


def test_string_keys_from_a_json_round_trip_also_match(detector: GapDetector) -> None:
    assert [g.scene_id for g in detector.detect_stale_syncs([scene("5")], {"5": NOV19})] == [5]  # type: ignore[dict-item]
    assert detector.detect_missing([scene("5")], {"5": NOV19}, set()) == []  # type: ignore[dict-item]


# -- detect_missing ----------------------------------------------------------------------------


def test_missing_gap(detector: GapDetector) -> None:
    s = scene("8", path="/media/new.mp4")
    [gap] = detector.detect_missing([s], {}, {"/media/other.mp4"})
    assert (gap.scene_id, gap.gap_type, gap.scene_data) == (8, "missing", s)
    assert "/media/new.mp4" in gap.reason
    assert "never synced" in gap.reason


def test_synced_scene_is_not_missing(detector: GapDetector) -> None:
    # The "lighter pre-check": a sync record counts as matched, whatever its value.
    assert detector.detect_missing([scene("8")], {8: NOV19}, set()) == []
    assert detector.detect_missing([scene("8")], {8: None}, set()) == []  # type: ignore[dict-item]


def test_matched_scene_is_not_missing(detector: GapDetector) -> None:
    assert detector.detect_missing([scene("8", path="/m/x.mp4")], {}, {"/m/x.mp4"}) == []


def test_matched_paths_compare_on_the_first_file_only(detector: GapDetector) -> None:
    s = scene("8", files=[{"path": "/m/first.mp4"}, {"path": "/m/second.mp4"}])
    assert len(detector.detect_missing([s], {}, {"/m/second.mp4"})) == 1
    assert detector.detect_missing([s], {}, {"/m/first.mp4"}) == []


def test_matched_paths_may_be_any_container(detector: GapDetector) -> None:
    s = scene("8", path="/m/x.mp4")
    assert detector.detect_missing([s], {}, frozenset({"/m/x.mp4"})) == []
    assert detector.detect_missing([s], {}, {"/m/x.mp4": ("sec", "1")}) == []
    assert detector.detect_missing([s], {}, ["/m/x.mp4"]) == []


def test_missing_does_not_need_a_timestamp(detector: GapDetector) -> None:
    assert len(detector.detect_missing([scene("8", updated_at=None)], {}, set())) == 1


def test_one_scene_can_have_several_gap_types(detector: GapDetector) -> None:
    s = scene("8", **RICH)
    assert len(detector.detect_empty_metadata([s], {"/media/a.mp4": EMPTY_PLEX})) == 1
    assert len(detector.detect_stale_syncs([s], {8: NOV19})) == 1
