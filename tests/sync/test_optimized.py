"""Plex's optimized versions (issue 15): matched against the original Media only.

A real listing shows an optimized copy as a second `<Media proxyType="42" target="Optimized
for Mobile">` whose Part lives in a `Plex Versions` folder (fixtures/plex/
section-all-home-videos.xml). Before, a Stash scene of that copy claimed the same item as the
original's scene: both were ambiguous, and the original was never synced.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from base.status import SceneStatus
from demo.check import check_library
from doctor.preview import preview_matching
from plex.items import parse_items, parse_listing_page
from plex.matching import IndexEntry, PathIndexView, SceneFiles, SectionLocations, match_scenes
from plex.paths import PathStyle
from tests.sync.conftest import EDIT, SCAN, SyncWorld
from validation.path_map import PathMap


def test_originals_sync_and_copies_are_reported(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=30, seed=151, plex_optimized=5, stash_scans_optimized=3)
    truth = world.truth
    assert len(truth.optimized_items) == 5 and len(truth.optimized_copies) == 3
    originals = {
        sid
        for sid, st in truth.scenes.items()
        if set(rk for _, rk in st.targets) & set(truth.optimized_items)
    }
    assert len(originals) == 5
    titles = {rk: world.item(rk).title for rk in truth.optimized_items}  # as Plex lists them

    run = world.run()

    for sid in originals:
        assert run.outcomes[sid].status is SceneStatus.SYNCED, run.outcomes[sid]
    for sid, rk in truth.optimized_copies.items():
        outcome = run.outcomes[sid]
        assert outcome.status is SceneStatus.OPTIMIZED_COPY, outcome
        assert outcome.message == f"Plex's optimized copy of {titles[rk]!r}, not a library item"
    assert run.counts["optimized_copy"] == 3
    # Every matched item right (the copies' own titles would show as a wrong write), each
    # optimized item written exactly once (by its original's scene), no scan for a copy.
    assert check_library(world.generated, world.plex.library).problems == []
    edits = [r for r in world.plex.log.records if r.route == EDIT]
    written = [int(k) for r in edits for k in dict(r.query)["id"].split(",")]
    assert all(written.count(rk) == 1 for rk in truth.optimized_items)
    scanned = [event.path or "" for event in world.plex.scan_events]
    assert not any("Plex Versions" in path for path in scanned)
    assert run.plex[SCAN] == len(world.plex.scan_events)

    again = world.run()
    assert again.plex[EDIT] == 0
    assert {sid: again.outcomes[sid].status for sid in truth.optimized_copies} == dict.fromkeys(
        truth.optimized_copies, SceneStatus.OPTIMIZED_COPY
    )


def test_real_listing_keeps_the_optimized_part_apart(shared_dir: Path) -> None:
    root = ET.parse(shared_dir / "fixtures/plex/section-all-home-videos.xml").getroot()
    (item,) = parse_listing_page(root, 7, 0).items
    assert [p.file for p in item.files] == ["I:\\Videos\\2010\\Christmas Tree\\00000.MTS"]
    assert [p.file for p in item.optimized] == [
        "I:\\Videos\\2010\\Christmas Tree\\Plex Versions\\Optimized for Mobile\\00000 (2010).mp4"
    ]
    (full,) = parse_items(root)
    assert [p.file for p in full.files] == ["I:\\Videos\\2010\\Christmas Tree\\00000.MTS"]


def test_a_copy_the_index_does_not_know_yet_is_never_scanned() -> None:
    """A file in a `Plex Versions` folder inside a library is Plex's own copy even before the
    index lists it: reported as such, with no folder to scan; an ordinary file is not."""
    style = PathStyle(windows=False, fold_case=False)
    original = IndexEntry(1, 100, "/media/clips/a.mp4", 10)
    copy = IndexEntry(1, 100, "/media/clips/Plex Versions/Optimized for Mobile/a.mp4", 3, "a")
    view = PathIndexView([original], style, [copy])
    scenes = [
        SceneFiles(1, (("/media/clips/a.mp4", 10),)),
        SceneFiles(2, (("/media/clips/Plex Versions/Optimized for Mobile/a.mp4", 3),)),
        SceneFiles(3, (("/media/clips/Plex Versions/Optimized for TV/a.mp4", 5),)),
        SceneFiles(4, (("/media/clips/b.mp4", 5),)),
    ]
    results = match_scenes(scenes, view, sections=[SectionLocations(1, ("/media/clips",))])
    assert results[1].status is SceneStatus.MATCHED and results[1].targets == ((1, 100),)
    assert results[2].status is SceneStatus.OPTIMIZED_COPY
    assert results[2].reason == "Plex's optimized copy of 'a', not a library item"
    assert results[3].status is SceneStatus.OPTIMIZED_COPY and results[3].scan_folders == ()
    assert results[4].status is SceneStatus.NOT_SCANNED and results[4].scan_folders


def test_health_check_preview_does_not_count_a_copy_as_not_scanned() -> None:
    style = PathStyle(windows=False, fold_case=False)
    original = IndexEntry(1, 100, "/media/clips/a.mp4", 10)
    copy = IndexEntry(1, 100, "/media/clips/Plex Versions/Optimized for Mobile/a2.mp4", 3, "a")
    scenes = [
        SceneFiles(1, (("/media/clips/a.mp4", 10),)),
        SceneFiles(2, ((copy.file, 3),)),
    ]
    sections = [SectionLocations(1, ("/media/clips",))]
    preview = preview_matching(
        scenes, [original], style, sections, PathMap.parse(""), 2, optimized=[copy]
    )
    assert preview.counts["matched"] == 1
    assert preview.counts["not_found"] == preview.counts["ambiguous"] == 0
