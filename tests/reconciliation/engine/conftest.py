"""Fixtures of the engine tests: generated worlds shared by every test that asks for the same
options (the engine only reads from the emulators), and a fresh data folder per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sandbox.generator import GeneratorOptions
from tests.reconciliation.engine.world import EngineWorld, start_world

WorldFactory = Callable[..., EngineWorld]


@pytest.fixture(scope="session")
def worlds() -> Iterator[WorldFactory]:
    """`worlds(scenes=..., **options)` → a started world, one per distinct options."""
    started: dict[tuple[tuple[str, object], ...], EngineWorld] = {}

    def get(**options: object) -> EngineWorld:
        key = tuple(sorted(options.items()))
        if key not in started:
            started[key] = start_world(GeneratorOptions(**options))  # type: ignore[arg-type]
        world = started[key]
        world.plex.knobs.clear_faults()
        world.stash.knobs.clear_faults()
        world.plex.log.clear()
        world.stash.log.clear()
        return world

    yield get
    for world in started.values():
        world.stop()


@pytest.fixture
def mapped(worlds: WorldFactory) -> EngineWorld:
    """800 scenes, Stash and Plex roots differ (path_map in use)."""
    return worlds(scenes=800, seed=3)
