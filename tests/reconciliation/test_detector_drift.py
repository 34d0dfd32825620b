"""The drift detectors added to the pure GapDetector (the SPEC §3 three are untouched).

`detect_drift` recomputes each synced scene's fingerprint with the live sync's builder and
options and compares it with the one stored at the push; `detect_plex_drift` compares the
field fingerprints we stored with those of the items' current values.
"""

from __future__ import annotations

from typing import Any

from reconciliation.detector import GAP_DRIFT, GAP_PLEX_DRIFT, GAP_TYPES, GapDetector
from validation.desired import DesiredOptions, build_desired
from validation.drift import COVER_PENDING, pushed_fingerprint, scene_fingerprint
from validation.fingerprint import fingerprint_value


def scene(scene_id: Any = "1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": scene_id,
        "title": "A title",
        "updated_at": "2026-11-20T10:00:00Z",
        "files": [{"path": f"/media/{scene_id}.mp4", "size": 10}],
        "studio": {"name": "Studio", "parent_studio": {"name": "Parent"}},
        "performers": [{"name": "Ann"}, {"name": "Bea"}],
        "tags": [{"name": "Tag"}],
        "groups": [{"group": {"name": "Group"}}],
        "details": "Details",
        "date": "2020-01-02",
        "rating100": 80,
        "organized": True,
    }
    data.update(changes)
    return data


def pushed(data: dict[str, Any], options: DesiredOptions | None = None, pending: bool = False):
    desired = build_desired(data, options or DesiredOptions())
    return pushed_fingerprint(desired, cover_pending=pending)  # type: ignore[arg-type]


def test_a_scene_as_pushed_is_no_drift_and_a_renamed_entity_is() -> None:
    detector = GapDetector()
    same = scene("1")
    renamed_performer = scene("2", performers=[{"name": "Ann"}, {"name": "Bea Renamed"}])
    renamed_parent = scene("3", studio={"name": "Studio", "parent_studio": {"name": "New"}})
    renamed_group = scene("4", groups=[{"group": {"name": "Vol. 2"}}])
    fingerprints = {int(s["id"]): pushed(scene(s["id"])) for s in (same,)}
    fingerprints.update({2: pushed(scene("2")), 3: pushed(scene("3")), 4: pushed(scene("4"))})
    gaps = detector.detect_drift(
        [same, renamed_performer, renamed_parent, renamed_group], fingerprints
    )
    assert [(g.scene_id, g.gap_type) for g in gaps] == [
        (2, GAP_DRIFT),
        (3, GAP_DRIFT),
        (4, GAP_DRIFT),
    ]
    assert gaps[0].scene_data is renamed_performer
    assert "renamed, merged or deleted" in gaps[0].reason
    assert GAP_DRIFT in GAP_TYPES and GAP_PLEX_DRIFT in GAP_TYPES


def test_only_what_plex_shows_counts_and_only_synced_scenes_are_judged() -> None:
    detector = GapDetector()
    base = {1: pushed(scene("1")), "2": pushed(scene("2"))}  # a JSON round trip's str key too
    unseen = [
        scene("1", updated_at="2030-01-01T00:00:00Z", urls=["x"]),  # not pushed: no change
        scene("2", performers=[{"name": "ann"}, {"name": "BEA"}]),  # case only: no change
        scene("3", title="never pushed"),  # no entry: stale or missing, not drift
        scene("1", files=[]),  # unusable: skipped
        scene("x1"),
    ]
    assert detector.detect_drift(unseen, base) == []
    # Nothing meaningful left: such a scene is never pushed, so it is no drift either.
    empty = scene("1", studio=None, performers=[], tags=[], groups=[], details=None, date=None)
    assert detector.detect_drift([empty], base) == []


def test_the_options_of_the_live_sync_decide() -> None:
    detector = GapDetector()
    data = scene("5")
    stored = {5: pushed(data)}
    excluded = DesiredOptions(exclude_tags=frozenset({"tag"}))
    assert detector.detect_drift([data], stored) == []
    # A setting change that alters what Plex should show is drift: the scene needs a push.
    assert [g.scene_id for g in detector.detect_drift([data], stored, excluded)] == [5]
    assert detector.detect_drift([data], {5: pushed(data, excluded)}, excluded) == []


def test_a_cover_that_appeared_after_a_pending_push_is_drift_once() -> None:
    detector = GapDetector()
    data = scene("6")
    stored = {6: pushed(data, pending=True)}
    assert stored[6].endswith(COVER_PENDING)
    # Still no cover in Stash: equal, so the scene is not queued again and again.
    assert detector.detect_drift([data], stored, covers_missing={6}) == []
    (gap,) = detector.detect_drift([data], stored, covers_missing=set())
    assert gap.scene_id == 6 and "cover" in gap.reason
    # Covers not pushed at all: the marker never matters.
    no_images = DesiredOptions(skip_poster=True, skip_background=True)
    assert scene_fingerprint(data, no_images, cover_missing=True) == pushed(data, no_images)
    # A cover removed since a complete push is drift too (the placeholder must not stay).
    assert [g.scene_id for g in detector.detect_drift([data], {6: pushed(data)}, None, {6})] == [6]


def test_plex_drift_compares_the_fields_we_pushed_with_each_items_current_values() -> None:
    detector = GapDetector()
    fp = fingerprint_value
    stored = {
        1: {"title": fp("A title"), "studio": fp("Studio"), "@locks": "title"},
        2: {"title": fp("Kept"), "summary": fp("Text")},
        3: {"title": fp("Other")},
    }
    current = {
        1: {10: {"title": fp("A title"), "studio": fp("Hand edit")}, 11: {"title": fp("x")}},
        2: {20: {"title": fp("Kept"), "summary": fp("Text"), "year": fp(1999)}},  # year not ours
        4: {40: {"title": fp("y")}},  # no sync record: not judged
    }
    scenes = [scene("1"), scene("2"), scene("3"), scene("4")]
    (gap,) = detector.detect_plex_drift(scenes, stored, current)
    assert (gap.scene_id, gap.gap_type) == (1, GAP_PLEX_DRIFT)
    assert gap.reason == "changed in Plex since the last push (item 10: studio; item 11: title)"
    assert detector.detect_plex_drift(scenes, {}, current) == []
