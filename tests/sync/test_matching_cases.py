"""A first sync of generated libraries holding every matching case, checked against the truth.

Small batches (as the worker claims them) put scenes that compete for one Plex item into
different batches, so the Stash-wide checks (basename uniqueness, items holding another
scene's file) are what keeps them apart.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from base.status import SceneStatus
from demo.check import check_library
from tests.sync.conftest import ART, EDIT, POSTER, SyncWorld


def _written_keys(world: SyncWorld) -> set[int]:
    """ratingKeys any write of the last run touched (edits name them in `id`)."""
    keys: set[int] = set()
    for record in world.plex.log.records:
        if record.route == EDIT:
            ids = dict(record.query).get("id", "")
            keys.update(int(k) for k in ids.split(",") if k)
        elif record.route in (POSTER, ART):
            keys.add(int(record.path.split("/")[3]))
    return keys


@pytest.mark.parametrize(
    ("windows_plex", "windows_stash"),
    [(False, False), (True, False), (True, True)],
    ids=["posix-mapped", "windows-plex", "windows-both"],
)
def test_first_sync_follows_the_truth(
    make_world: Callable[..., SyncWorld], windows_plex: bool, windows_stash: bool
) -> None:
    world = make_world(scenes=240, seed=11, windows_plex=windows_plex, windows_stash=windows_stash)
    truth = world.truth
    assert truth.path_map  # different roots: every match goes through path_map
    for planted in (truth.dup_basename, truth.nfd, truth.two_sections, truth.basename):
        assert planted, "the generator planted every case"

    run = world.run(batch=7)

    written = _written_keys(world)
    states = world.sync_state.get_many(truth.scenes)
    for sid, fact in truth.scenes.items():
        outcome = run.outcomes[sid]
        if sid in truth.no_metadata:
            assert outcome.status is SceneStatus.NO_METADATA and sid not in states, sid
        elif fact.targets:
            pending = sid in truth.no_cover
            assert outcome.status in (
                [SceneStatus.COVER_PENDING]
                if pending
                else [SceneStatus.SYNCED, SceneStatus.UNCHANGED]
            ), (sid, outcome)
            assert sorted(states[sid].targets) == sorted(fact.targets), sid
        elif sid in truth.not_scanned:
            assert outcome.status is SceneStatus.NOT_SCANNED, sid
        elif sid in truth.outside_sections:
            assert outcome.status is SceneStatus.OUTSIDE_LIBRARIES
            assert "outside your Plex libraries" in outcome.message  # the detail, for debug
        elif sid in truth.ambiguous:
            assert outcome.status is SceneStatus.AMBIGUOUS, sid
            for _, rating_key in fact.candidates:
                assert str(rating_key) in outcome.message  # every party is named
                assert rating_key not in written  # never written
            assert sid not in states
        else:
            assert sid in truth.no_files and outcome.status is SceneStatus.NO_FILES, sid

    # Scans: only folders inside a section, each once, and every not-scanned file's folder.
    events = world.plex.scan_events
    assert events and all(e.accepted for e in events)
    assert len({(e.section_id, e.path) for e in events}) == len(events)
    assert run.counts["scans"] == len(events)

    check = check_library(world.generated, world.plex.library)
    assert check.items > 0 and check.problems == []


def test_a_scan_makes_the_waiting_scenes_sync(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=150, seed=5)
    waiting = sorted(world.truth.not_scanned)
    first = world.run(waiting, batch=50)
    assert first.of(SceneStatus.NOT_SCANNED) == set(waiting)
    assert world.plex.run_scans() >= len(waiting)

    again = world.run(waiting, batch=50)

    synced = again.of(SceneStatus.SYNCED) | again.of(SceneStatus.COVER_PENDING)
    assert synced == set(waiting)
    assert again.plex["GET /library/sections/{id}/refresh"] == 0  # found: no scan asked
