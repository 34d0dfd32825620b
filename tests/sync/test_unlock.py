"""Unlock Plex Fields: every lock Stash2Plex set is removed, in a few multi-item requests;
locks it did not set stay, and an item gone from Plex is skipped."""

from __future__ import annotations

from collections.abc import Callable

from plex.client import PlexClient
from plex.unlock import unlock_fields
from tests.sync.conftest import EDIT, FETCH, SyncWorld


def test_unlock_removes_our_locks_only(make_world: Callable[..., SyncWorld]) -> None:
    world = make_world(scenes=200, seed=51)
    world.run(batch=200)
    states = list(world.sync_state.get_many(world.truth.scenes).values())
    keys = {rk for s in states for _, rk in s.targets}
    assert len(keys) > 100
    foreign = next(iter(world.truth.foreign - world.truth.no_metadata))
    foreign_keys = {rk for _, rk in world.truth.scenes[foreign].targets}
    for rk in foreign_keys:
        world.plex.item(rk).locked.add("tagline")  # a lock the user set themselves
    gone = sorted(keys)[len(keys) // 2]
    world.plex.remove_item(gone)
    world.plex.log.clear()

    with PlexClient(world.plex.url, world.plex.token) as client:
        report = unlock_fields(client, states)

    ours = {"title", "summary", "originallyAvailableAt", "year", "userRating", "studio"}
    ours |= {"actor", "genre", "collection", "thumb", "art"}
    for rk in keys - {gone}:
        assert not world.plex.item(rk).locked & ours, rk
    for rk in foreign_keys:
        assert "tagline" in world.plex.item(rk).locked
    assert report.gone == {gone} and report.unlocked == keys - {gone} and not report.failures
    # One request per section and set of fields sharing the same items, plus, for each group
    # holding the gone item, its 404, one multi-fetch finding it and the resend.
    requests = world.plex.log.counts()
    assert requests[EDIT] + requests[FETCH] == report.requests <= 2 * 11 * 3
