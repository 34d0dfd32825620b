"""Plex request budgets, term by term, from the Plex emulator's request log (issue 5).

First sync of 1,000 scenes: index pages ≤ 5, item fetches ≤ 1 per 100 items before the writes
and ≤ 1 per 100 written items after them (issue 15's post-write baselines), ≤ 1 edit per changed
item (a split only above 8 KiB), ≤ 1 upload per changed image and one posters/arts GET per
upload (issue 15: the upload counts only when Plex shows it applied). Unchanged re-sync of the
same 1,000: ≤ 25 requests in all. One edit of a previously synced scene in a 50,000-item
library: ≤ 4 requests (the fetch, the edit, the post-write fetch).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

from base.status import SceneStatus
from demo.check import check_library
from tests.sync.conftest import (
    ART,
    ARTS_GET,
    EDIT,
    FETCH,
    LISTING,
    POSTER,
    POSTERS_GET,
    SCAN,
    SECTIONS,
    SyncWorld,
)
from tests.sync.helpers import only_item, pick, update_scene
from worker.services import DEFAULT_BATCH_SIZE

BATCH = DEFAULT_BATCH_SIZE  # what the worker claims per batch in production


def _edits_per_item(world: SyncWorld) -> Counter[int]:
    edits: Counter[int] = Counter()
    for record in world.plex.log.records:
        if record.route == EDIT:
            edits.update(int(k) for k in dict(record.query)["id"].split(","))
    return edits


def _uploads_per_item(world: SyncWorld, route: str) -> Counter[int]:
    return Counter(int(r.path.split("/")[3]) for r in world.plex.log.records if r.route == route)


def test_first_sync_and_unchanged_resync_of_1000_scenes(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=1000, seed=21)
    truth = world.truth

    first = world.run(batch=BATCH)

    plex = first.plex
    # Index: one sections request and the paged listings (2 sections, pages of 2,000).
    assert plex[SECTIONS] + plex[LISTING] <= 5
    # Item fetches: per batch ⌈items/100⌉ before the writes and ⌈written items/100⌉ after
    # them (issue 15: the post-write baselines). `batch_keys` counts the keys of both, and
    # ⌈a/100⌉ + ⌈b/100⌉ ≤ ⌈(a+b)/100⌉ + 1; every batch of a first sync writes something.
    sizes = [
        len(r.path.rsplit("/", 1)[1].split(",")) for r in world.plex.log.records if r.route == FETCH
    ]
    assert max(sizes) <= 100
    assert 2 * len(first.batch_keys) <= plex[FETCH]
    assert plex[FETCH] <= sum(math.ceil(k / 100) + 1 for k in first.batch_keys)
    # Edits: one per changed item; more only for a scene whose edit exceeds 8 KiB.
    edits = _edits_per_item(world)
    big = {rk for sid in truth.heavy | truth.long_details for _, rk in truth.scenes[sid].targets}
    assert plex[EDIT] == sum(edits.values())
    assert all(n == 1 for rk, n in edits.items() if rk not in big)
    assert all(n <= 4 for n in edits.values())
    # Uploads: at most one per changed image (poster, background) and item.
    for route in (POSTER, ART):
        uploads = _uploads_per_item(world, route)
        assert max(uploads.values()) == 1 and set(uploads) <= set(edits)
    # One posters/arts list per upload: the check that Plex applied it (issue 15).
    assert plex[POSTERS_GET] == plex[POSTER] and plex[ARTS_GET] == plex[ART]
    # Scans: one per distinct not-scanned folder, nothing else.
    assert plex[SCAN] == len(world.plex.scan_events) <= len(truth.not_scanned)
    expected = {SECTIONS, LISTING, FETCH, EDIT, POSTER, ART, SCAN, POSTERS_GET, ARTS_GET}
    assert set(plex) <= expected
    assert check_library(world.generated, world.plex.library).problems == []

    again = world.run(batch=BATCH)

    assert sum(again.plex.values()) <= 25, again.plex
    assert again.plex[EDIT] == again.plex[POSTER] == again.plex[ART] == 0
    assert again.kinds()[SceneStatus.SYNCED] == 0


def test_one_edit_of_a_synced_scene_in_a_50000_item_library(
    make_world: Callable[..., SyncWorld],
) -> None:
    world = make_world(scenes=100, seed=22)
    sid = pick(world)
    assert world.run([sid]).outcomes[sid].status is SceneStatus.SYNCED
    section = world.truth.scenes[sid].targets[0][0]
    root = world.generated.options.plex_root
    for i in range(50_000):  # the library grows to 50,000+ items; the index is not needed
        world.plex.add_item(section, [f"{root}/Movies/Filler/filler {i:05d}.mp4"])
    assert len(world.plex.library.items) > 50_000

    update_scene(world, sid, title="A new title typed in Stash")
    run = world.run([sid])

    assert run.outcomes[sid].status is SceneStatus.SYNCED
    assert only_item(world, sid).title == "A new title typed in Stash"
    # Issue 15 added the post-write fetch of the written item (its baseline): 2 fetches.
    assert sum(run.plex.values()) <= 4, run.plex
    assert run.plex == {FETCH: 2, EDIT: 1}
