"""Fixtures of the reliability suite: a `ChaosWorld` factory and each scenario's `Tally`.

The tally reads every plugin output and data-folder scan made during the test (a leak Tap),
and under `make chaos` appends itself to the results file the report is built from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.secrets import Tap
from tests.reliability.tally import Tally, append_result
from tests.reliability.world import ChaosWorld, start_chaos_world


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash2plex_call_passed = report.passed  # type: ignore[attr-defined]


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """The scenario's numbers; set `area` and `scenario`, count `faults`, call world.measure."""
    result = Tally(area="", scenario=request.node.name)
    with Tap() as tap:
        yield result
    result.runs += tap.runs
    result.add_leaks(tap.leaks())
    passed = bool(getattr(request.node, "stash2plex_call_passed", False))
    append_result(result, passed and result.clean)
    assert result.leaks == 0, result.summary()


@pytest.fixture
def chaos_world(tmp_path: Path) -> Iterator[Callable[..., ChaosWorld]]:
    """Factory: `chaos_world(scenes=…, seeded=…, **settings)`; every world stops after the test."""
    worlds: list[ChaosWorld] = []

    def make(**options: Any) -> ChaosWorld:
        world = start_chaos_world(tmp_path / f"data{len(worlds)}", **options)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.stop()
