"""Property tests: over generated scenes, each detector reports exactly the scenes that satisfy
its SPEC §3 definition, in input order.

The definitions below are written independently of the detector, in the plainest way, from
the ground truth the generator keeps (the exact instant behind each `updated_at` string).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from base.timestamps import parse_rfc3339
from reconciliation.detector import GapDetector, GapResult, has_meaningful_metadata

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PATHS = ["/media/a.mp4", "/media/b.mkv", "D:\\Vids\\c.mp4", "/media/ü/d.mp4", "/e.mp4"]
SETTINGS = settings(max_examples=100, deadline=None)

# Values on which any reading of "non-empty" agrees.
STUDIOS = [None, "", "Studio", {"id": "1", "name": "Studio"}]
PEOPLE = [None, [], ["Alice"], [{"id": "1", "name": "Alice"}, {"id": "2", "name": "Bob"}]]
TEXTS = [None, "", "Some details\nover two lines"]
DATES = [None, "", "2024-01-02", "2024-01", "2024"]
EMPTY_VALUES: list[Any] = [None, "", []]


@dataclass
class Generated:
    scene: dict[str, Any]
    updated_at: float | None  # the true instant, None when the string is garbage


def simple_id(raw: Any) -> int | None:
    if type(raw) is int and raw >= 0:
        return raw
    if type(raw) is str and raw != "" and all(c in "0123456789" for c in raw):
        return int(raw)
    return None


def simple_path(scene: dict[str, Any]) -> str | None:
    files = scene.get("files")
    if type(files) is list and files and type(files[0]) is dict:
        path = files[0].get("path")
        if type(path) is str and path != "":
            return path
    return None


def simple_meaningful(data: Any) -> bool:
    if type(data) is not dict:
        return False
    keys = ("studio", "performers", "tags", "details", "date")
    return any(data.get(k) not in EMPTY_VALUES for k in keys)


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: m - m % 15)


@st.composite
def timestamps(draw: st.DrawFn) -> tuple[Any, float | None]:
    """An `updated_at` value and the exact instant it denotes (None for garbage)."""
    if draw(st.integers(0, 9)) == 0:
        garbage = st.sampled_from([None, "", "soon", "2026-11-20", "2026-02-30T00:00:00Z", 12])
        return draw(garbage), None
    moment = draw(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
    ).replace(microsecond=0)
    offset_minutes = draw(offsets)
    digits = draw(st.sampled_from(["", "0", "5", "250", "000001", "123456", "999999999"]))
    local = moment + timedelta(minutes=offset_minutes)
    if offset_minutes == 0 and draw(st.booleans()):
        suffix = "Z"
    else:
        sign = "-" if offset_minutes < 0 else "+"
        suffix = f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + suffix
    whole = (moment.replace(tzinfo=timezone.utc) - EPOCH) // timedelta(seconds=1)
    exact = Fraction(whole) + (Fraction(int(digits), 10 ** len(digits)) if digits else 0)
    return text, float(exact)


ids = st.one_of(
    st.integers(1, 12).map(str),
    st.integers(1, 12),
    st.sampled_from([None, "", "x1", "-3", "4_2", " 5", "1.0", 2.0, True, "٣"]),
)
file_lists = st.one_of(
    st.sampled_from(PATHS).map(lambda p: [{"path": p, "size": 1}]),
    st.tuples(st.sampled_from(PATHS), st.sampled_from(PATHS)).map(
        lambda pq: [{"path": pq[0]}, {"path": pq[1]}]
    ),
    st.sampled_from(["absent", None, [], [{}], [{"path": None}], [{"path": ""}], [None]]),
)


@st.composite
def generated_scenes(draw: st.DrawFn) -> Generated:
    updated_at, truth = draw(timestamps())
    scene: dict[str, Any] = {
        "id": draw(ids),
        "title": draw(st.sampled_from([None, "", "Title"])),
        "rating100": draw(st.sampled_from([None, 20, 100])),
        "updated_at": updated_at,
        "studio": draw(st.sampled_from(STUDIOS)),
        "performers": draw(st.sampled_from(PEOPLE)),
        "tags": draw(st.sampled_from(PEOPLE)),
        "details": draw(st.sampled_from(TEXTS)),
        "date": draw(st.sampled_from(DATES)),
    }
    files = draw(file_lists)
    if files != "absent":
        scene["files"] = files
    return Generated(scene, truth)


plex_entries = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "studio": st.sampled_from([None, "", "Plex Studio"]),
            "performers": st.sampled_from([None, [], ["Alice"]]),
            "tags": st.sampled_from([None, [], ["Genre"]]),
            "details": st.sampled_from(TEXTS),
            "date": st.sampled_from([None, "", "2020-05-06"]),
        }
    ),
)


@st.composite
def sync_maps(draw: st.DrawFn, world: list[Generated]) -> dict[int, Any]:
    """Sync records for some scenes: equal to, before or after their instant, or unusable."""
    sync: dict[int, Any] = {}
    for item in world:
        scene_id = simple_id(item.scene["id"])
        if scene_id is None or draw(st.booleans()):
            continue
        base = item.updated_at if item.updated_at is not None else 1.7e9
        choice = draw(st.sampled_from(["equal", "before", "after", "int", "bad"]))
        if choice == "equal":
            sync[scene_id] = base
        elif choice == "before":
            sync[scene_id] = base - draw(st.sampled_from([1e-6, 0.5, 1.0, 3600.0]))
        elif choice == "after":
            sync[scene_id] = base + draw(st.sampled_from([1e-6, 1.0, 86400.0]))
        elif choice == "int":
            sync[scene_id] = int(base)
        else:
            sync[scene_id] = draw(st.sampled_from([None, "2026-01-01T00:00:00Z", float("nan")]))
    return sync


def reported(gaps: list[GapResult], gap_type: str) -> list[tuple[int, int]]:
    assert all(g.gap_type == gap_type and g.reason for g in gaps)
    assert all(type(g.scene_id) is int for g in gaps)
    return [(id(g.scene_data), g.scene_id) for g in gaps]


@SETTINGS
@given(world=st.lists(generated_scenes(), max_size=20), data=st.data())
def test_empty_metadata_reports_exactly_its_definition(
    world: list[Generated], data: st.DataObject
) -> None:
    plex = {p: data.draw(plex_entries) for p in PATHS if data.draw(st.booleans())}
    expected = []
    for item in world:
        scene_id, path = simple_id(item.scene["id"]), simple_path(item.scene)
        if scene_id is None or path is None or path not in plex:
            continue
        if not simple_meaningful(plex[path]) and simple_meaningful(item.scene):
            expected.append((id(item.scene), scene_id))
    gaps = GapDetector().detect_empty_metadata([i.scene for i in world], plex)
    assert reported(gaps, "empty_metadata") == expected


@SETTINGS
@given(world=st.lists(generated_scenes(), max_size=20), data=st.data())
def test_stale_syncs_reports_exactly_its_definition(
    world: list[Generated], data: st.DataObject
) -> None:
    sync = data.draw(sync_maps(world))
    expected = []
    for item in world:
        scene_id, path = simple_id(item.scene["id"]), simple_path(item.scene)
        if scene_id is None or path is None or scene_id not in sync:
            continue
        synced = sync[scene_id]
        if type(synced) not in (int, float) or synced != synced:  # NaN
            continue
        if item.updated_at is not None and item.updated_at > synced:
            expected.append((id(item.scene), scene_id))
    gaps = GapDetector().detect_stale_syncs([i.scene for i in world], sync)
    assert reported(gaps, "stale_sync") == expected


@SETTINGS
@given(world=st.lists(generated_scenes(), max_size=20), data=st.data())
def test_missing_reports_exactly_its_definition(
    world: list[Generated], data: st.DataObject
) -> None:
    sync = data.draw(sync_maps(world))
    matched = {p for p in PATHS if data.draw(st.booleans())}
    expected = []
    for item in world:
        scene_id, path = simple_id(item.scene["id"]), simple_path(item.scene)
        if scene_id is None or path is None:
            continue
        if scene_id not in sync and path not in matched:
            expected.append((id(item.scene), scene_id))
    gaps = GapDetector().detect_missing([i.scene for i in world], sync, matched)
    assert reported(gaps, "missing") == expected


@SETTINGS
@given(timestamps())
def test_parse_timestamp_matches_the_true_instant(pair: tuple[Any, float | None]) -> None:
    text, truth = pair
    assert parse_rfc3339(text) == truth


@SETTINGS
@given(generated_scenes())
def test_has_meaningful_metadata_matches_the_simple_definition(item: Generated) -> None:
    assert has_meaningful_metadata(item.scene) is simple_meaningful(item.scene)
