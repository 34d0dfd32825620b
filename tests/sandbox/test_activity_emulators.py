"""The emulators' watch activity (issue 18), through the real clients.

Plex: plexapi's `markPlayed`, `updateProgress`, `rate` and `PlexServer.history()` (its
`sort`, `accountID`, `librarySectionID`, `viewedAt>` and container paging), the item fields
and the `/all` filters the pull uses. Stash: stashapi's `call_GQL` with `sceneAddPlay`,
`sceneIncrementPlayCount`, `sceneSaveActivity` (no hook, `updated_at` unmoved) and the v0.24
release mode (no play history, absolute `play_count` through `sceneUpdate`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from plexapi.server import PlexServer
from stashapi.stashapp import StashInterface

from base.timestamps import parse_rfc3339
from sandbox.plex_emu import PlexEmulator
from sandbox.stash_emu import StashEmulator
from tests.sandbox import stash_fixtures
from tests.sandbox.conftest import PLEX_T0, PlexClock
from tests.sandbox.stash_fixtures import RecordingRunner

stash_clock = stash_fixtures.stash_clock
stash_emu = stash_fixtures.stash_emu
stash_client = stash_fixtures.stash_client
stash_runner = stash_fixtures.stash_runner


def test_plexapi_sees_plays_progress_ratings_and_history(
    plex_emu: PlexEmulator, plex_client: PlexServer, plex_clock: PlexClock
) -> None:
    first = plex_emu.add_item(1, ["/media/movies/a.mp4"]).rating_key
    second = plex_emu.add_item(1, ["/media/movies/b.mp4"]).rating_key
    item = plex_client.fetchItem(first)
    item.markPlayed()
    plex_clock.now += 10
    item.markPlayed()
    plex_emu.activity.watch_once(second, account=2, at=PLEX_T0 + 5)
    plex_client.fetchItem(second).updateProgress(90_000)
    item.rate(8.5)

    item.reload()
    assert (item.viewCount, item.viewOffset, item.userRating) == (2, 0, 8.5)
    assert int(item.lastViewedAt.timestamp()) == PLEX_T0 + 10
    assert int(item.lastRatedAt.timestamp()) == PLEX_T0 + 10
    other = plex_client.fetchItem(second)
    assert other.viewOffset == 90_000 and not other.viewCount  # the owner never finished it

    everything = plex_client.history()
    assert [int(h.viewedAt.timestamp()) for h in everything] == [PLEX_T0 + 10, PLEX_T0 + 5, PLEX_T0]
    assert [h.accountID for h in everything] == [1, 2, 1]
    assert len({h.historyKey for h in everything}) == 3
    assert [h.ratingKey for h in plex_client.history(accountID=2)] == [second]
    assert len(plex_client.history(librarySectionID=2)) == 0
    since = datetime.fromtimestamp(PLEX_T0, timezone.utc)
    assert [int(h.viewedAt.timestamp()) for h in plex_client.history(mindate=since)] == [
        PLEX_T0 + 10,
        PLEX_T0 + 5,
    ]  # viewedAt> is strict
    paged = plex_client.fetchItems(
        "/status/sessions/history/all?sort=viewedAt:desc", container_size=2
    )
    assert len(paged) == 3
    assert plex_emu.log.count("GET /status/sessions/history/all") == 6  # 4 + 2 paged

    listed = plex_client.fetchItems("/library/sections/1/all?type=1&inProgress=1")
    assert [i.ratingKey for i in listed] == [second]
    rated = plex_client.fetchItems(f"/library/sections/1/all?type=1&lastRatedAt>>={PLEX_T0 + 9}")
    assert [i.ratingKey for i in rated] == [first]
    assert not plex_client.fetchItems(f"/library/sections/1/all?lastRatedAt>>={PLEX_T0 + 10}")
    item.markUnplayed()
    item.rate(None)
    item.reload()
    assert (item.viewCount, item.userRating) == (0, None)


def _scene(client: StashInterface, fields: str) -> dict:
    return client.call_GQL(f'{{ findScene(id: "1") {{ {fields} }} }}')["findScene"]


def test_stash_play_mutations_fire_no_hook_and_keep_updated_at(
    stash_client: StashInterface, stash_runner: RecordingRunner, stash_emu: StashEmulator
) -> None:
    before = _scene(stash_client, "updated_at")["updated_at"]
    added = stash_client.call_GQL(
        'mutation { sceneAddPlay(id: "1", times: ["2026-01-02T03:04:05Z", '
        '"2026-01-01T00:00:00+02:00"]) { count history } }'
    )["sceneAddPlay"]
    assert added["count"] == 2
    stash_client.call_GQL('mutation { sceneIncrementPlayCount(id: "1") }')
    assert stash_client.call_GQL(
        'mutation { sceneSaveActivity(id: "1", resume_time: 12.5, playDuration: 3) }'
    )["sceneSaveActivity"]
    scene = _scene(
        stash_client, "updated_at play_count play_history resume_time play_duration last_played_at"
    )
    assert scene["updated_at"] == before
    assert stash_runner.hooks == []
    assert scene["play_count"] == 3 and scene["resume_time"] == 12.5
    assert scene["play_duration"] == 3.0
    times = sorted(parse_rfc3339(t) for t in scene["play_history"])
    assert times == sorted(
        [
            datetime(2025, 12, 31, 22, tzinfo=timezone.utc).timestamp(),
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc).timestamp(),
            stash_fixtures.StashClock().now.timestamp(),  # the increment: now
        ]
    )
    assert parse_rfc3339(scene["last_played_at"]) == times[-1]
    # sceneUpdate(play_count) is ignored since v0.25 (deprecated, only logged).
    stash_client.call_GQL('mutation { sceneUpdate(input: {id: "1", play_count: 9}) { id } }')
    assert _scene(stash_client, "play_count")["play_count"] == 3


def test_v024_has_no_play_history_and_an_absolute_play_count() -> None:
    clock = stash_fixtures.StashClock()
    with StashEmulator(stash_fixtures.stash_library(), clock=clock, release="v0.24.3") as emu:
        client = StashInterface(emu.connection())
        with pytest.raises(Exception, match="422"):  # Stash refuses an unknown field
            client.call_GQL('mutation { sceneAddPlay(id: "1") { count } }')
        client.call_GQL('mutation { sceneUpdate(input: {id: "1", play_count: 4}) { id } }')
        clock.now += timedelta(hours=1)
        assert client.call_GQL('mutation { sceneIncrementPlayCount(id: "1") }') == {
            "sceneIncrementPlayCount": 5
        }
        scene = _scene(client, "play_count last_played_at")
        assert scene["play_count"] == 5
        assert parse_rfc3339(scene["last_played_at"]) == clock.now.timestamp()
