"""The Plex emulator's `sort=` on section listings (added for the path index's refreshes)."""

from __future__ import annotations

import pytest
from plexapi.exceptions import BadRequest
from plexapi.server import PlexServer

from sandbox.plex_emu import PlexEmulator
from tests.plex.conftest import TOKEN, Clock


def keys(plex: PlexServer, query: str) -> list[int]:
    root = plex.query(f"/library/sections/1/all?type=1{query}")
    return [int(v.get("ratingKey")) for v in root.iter("Video")]


def test_sort_fields_and_directions(emu: PlexEmulator, clock: Clock) -> None:
    made = []
    for title in ("b", "c", "a"):
        clock.now += 10
        made.append(emu.add_item(1, [f"/media/movies/{title}.mkv"]).rating_key)
    clock.now += 10
    emu.state.touch(emu.item(made[0]))  # the oldest becomes the most recently updated
    plex = PlexServer(emu.url, TOKEN, timeout=5)
    b, c, a = made
    assert keys(plex, "") == [a, b, c]  # default: titleSort
    assert keys(plex, "&sort=addedAt") == [b, c, a]
    assert keys(plex, "&sort=addedAt:desc") == [a, c, b]
    assert keys(plex, "&sort=updatedAt:desc") == [b, a, c]
    assert keys(plex, "&sort=updatedAt:desc&limit=1") == [b]
    root = plex.query(
        "/library/sections/1/all?type=1&sort=addedAt:desc",
        headers={"X-Plex-Container-Start": "1", "X-Plex-Container-Size": "1"},
    )
    assert [int(v.get("ratingKey")) for v in root.iter("Video")] == [c]
    assert root.get("totalSize") == "3"


def test_unknown_sort_field(emu: PlexEmulator) -> None:
    emu.add_item(1, ["/media/movies/a.mkv"])
    plex = PlexServer(emu.url, TOKEN, timeout=5)
    with pytest.raises(BadRequest, match=r"^\(400\)"):
        keys(plex, "&sort=nosuchfield:desc")
    emu.strict = False
    assert len(keys(plex, "&sort=nosuchfield:desc")) == 1
