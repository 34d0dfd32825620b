"""Fixtures for the Plex edge tests: a started Plex emulator, a client on it, secret checks.

The token is distinctive so any leak into exception text is caught by `assert_no_secret`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plex.client import PlexClient
from sandbox.plex_emu import PlexEmulator

TOKEN = "S2P-SECRET-TOKEN-7f3a9c5e"
T0 = 1_700_000_000


class Clock:
    """A clock seam: tests move `now` by hand (emulator timestamps and index ages)."""

    def __init__(self, now: float = T0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now


def chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception chained to it (cause and context)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return seen


def assert_no_secret(exc: BaseException, secret: str = TOKEN) -> None:
    for link in chain(exc):
        for text in (str(link), repr(link), *(str(a) for a in link.args)):
            assert secret not in text, f"token leaked in {type(link).__name__}: {text}"
        for value in vars(link).values() if hasattr(link, "__dict__") else ():
            assert secret not in str(value), f"token leaked in an attribute of {link!r}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Iterator[PlexEmulator]:
    """Movies (POSIX), Clips (Windows-style Other Videos) and a TV section."""
    emulator = PlexEmulator(token=TOKEN, clock=clock)
    emulator.add_section("Movies", ["/media/movies"])
    emulator.add_section("Clips", ["D:\\Videos\\Clips"], other_videos=True)
    emulator.add_section("TV Shows", ["/media/tv"], type="show")
    with emulator:
        yield emulator


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def client(emu: PlexEmulator, data_dir: Path) -> Iterator[PlexClient]:
    with PlexClient(
        emu.url, TOKEN, data_dir=data_dir, connect_timeout=2, read_timeout=5
    ) as plex_client:
        yield plex_client
