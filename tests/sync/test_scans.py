"""Partial scans (SPEC §2.5): per folder, at most once per 10 minutes across runs, never
outside the sections, never with skip_plex_scan; the scene waits meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from base.status import SceneStatus
from plex.scans import SCAN_DEBOUNCE_S
from tests.sync.conftest import SCAN, SyncWorld


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_folder_is_scanned_once_per_ten_minutes_across_runs(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=150, seed=41)
    waiting = sorted(world.truth.not_scanned)
    folders = {p.rsplit("/", 1)[0] for sid in waiting for p in world.truth.scenes[sid].plex_paths}
    clock = Clock()

    first = world.run(waiting, clock=clock)
    assert first.of(SceneStatus.NOT_SCANNED) == set(waiting)
    events = world.plex.scan_events
    assert {e.path for e in events} == folders  # each waiting file's folder, in Plex's form
    assert first.plex[SCAN] == len({(e.section_id, e.path) for e in events}) >= len(folders)

    clock.now += SCAN_DEBOUNCE_S - 60
    soon = world.run(waiting, clock=clock)  # a new run: remembered in the data folder
    assert soon.plex[SCAN] == 0 and soon.of(SceneStatus.NOT_SCANNED) == set(waiting)

    clock.now += 120
    later = world.run(waiting, clock=clock)
    assert later.plex[SCAN] == first.plex[SCAN]


def test_skip_plex_scan_and_outside_folders_are_never_scanned(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=150, seed=42)
    waiting = sorted(world.truth.not_scanned)
    outside = sorted(world.truth.outside_sections)

    run = world.run(waiting + outside, skip_plex_scan=True)

    assert run.plex[SCAN] == 0 and not world.plex.scan_events
    assert run.of(SceneStatus.NOT_SCANNED) == set(waiting)
    assert "skip_plex_scan" in run.outcomes[waiting[0]].message
    assert run.of(SceneStatus.OUTSIDE_LIBRARIES) == set(outside)

    scanned = world.run(waiting + outside)
    assert scanned.plex[SCAN] > 0
    assert all(e.accepted for e in world.plex.scan_events)  # nothing outside a section
