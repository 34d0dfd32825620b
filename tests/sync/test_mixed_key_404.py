"""A multi-key item fetch with a gone key (issue 15): no key of the chunk is lost.

Plex answers `/library/metadata/{k1,k2,...}` with the items it found (reference/plex.md).
The emulator's `mixed_key_404` models the other answer (404 for the whole request when any
key is unknown): the client halves the keys until only the gone one answers 404.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from base.status import SceneStatus
from tests.sync.conftest import FETCH, SCAN, SyncWorld
from tests.sync.helpers import pick


@pytest.mark.parametrize("mixed_key_404", [False, True])
def test_one_gone_key_costs_no_scan_and_no_lost_key(
    make_world: Callable[..., SyncWorld], mixed_key_404: bool
) -> None:
    world = make_world(scenes=30, seed=152)
    first = world.run()
    pushed = {sid for sid, o in first.outcomes.items() if o.status is SceneStatus.SYNCED}
    sid = pick(world, state="plex_empty")
    assert sid in pushed
    # Plex drops the item and adds it again (a re-added file): same file, new ratingKey.
    ((section, old_rk),) = world.truth.scenes[sid].targets
    files = world.item(old_rk).files()
    world.plex.remove_item(old_rk)
    new_rk = world.plex.add_item(section, files).rating_key
    world.plex.mixed_key_404 = mixed_key_404

    again = world.run()

    assert again.outcomes[sid].status is SceneStatus.SYNCED
    assert world.item(new_rk).title == world.generated.stash.scenes[sid].title
    others = pushed - {sid}
    assert {again.outcomes[s].status for s in others} == {SceneStatus.UNCHANGED}
    assert again.plex[SCAN] == 0
    keys = sum(len(world.truth.scenes[s].targets) for s in pushed)
    # One chunk of `keys`, then (for the new key after the re-match) one more fetch, and the
    # post-write fetch of the one written item (issue 15, converge); a 404 for the whole
    # chunk costs two requests per halving down to the gone key (at most ⌈log2(keys)⌉
    # halvings, fewer where a half is odd-sized).
    assert keys >= 8
    if mixed_key_404:
        assert 3 + 2 <= again.plex[FETCH] <= 3 + 2 * math.ceil(math.log2(keys))
    else:
        assert again.plex[FETCH] == 3
    # The fetches after the re-match asked for the new key only: no other key was lost.
    fetches = [r.path for r in world.plex.log.records if r.route == FETCH]
    assert fetches[-1] == f"/library/metadata/{new_rk}"
