"""Fixtures for the sandbox tests: Plex emulator instances (all named plex_*).

`plex_emu` is a started emulator with a POSIX movie section (1) and a Windows "Other Videos"
section (2) on an injected clock; `plex_client` is the real plexapi connected to it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from plexapi.server import PlexServer

from sandbox.plex_emu import PlexEmulator

PLEX_T0 = 1_700_000_000


class PlexClock:
    """A clock seam for the emulator: tests move `now` by hand."""

    def __init__(self) -> None:
        self.now = float(PLEX_T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def plex_clock() -> PlexClock:
    return PlexClock()


@pytest.fixture
def plex_emu(plex_clock: PlexClock) -> Iterator[PlexEmulator]:
    emu = PlexEmulator(clock=plex_clock)
    emu.add_section("Movies", ["/media/movies"])
    emu.add_section("Clips", ["D:\\Videos\\Clips", "\\\\NAS\\share\\clips"], other_videos=True)
    with emu:
        yield emu


@pytest.fixture
def plex_client(plex_emu: PlexEmulator) -> PlexServer:
    return PlexServer(plex_emu.url, plex_emu.token, timeout=5)
