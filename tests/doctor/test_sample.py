"""`doctor.sample`: a bounded sample spread over the whole id range, from the Stash emulator."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from doctor.sample import page_numbers, spread_sample
from sandbox.generator import GeneratorOptions, generate
from sandbox.stash_emu import StashEmulator
from stash.client import StashGateway


def test_page_numbers_cover_the_range() -> None:
    assert page_numbers(0, 50, 10) == [1]
    assert page_numbers(120, 50, 10) == [1, 2, 3]
    assert page_numbers(500, 50, 10) == list(range(1, 11))
    spread = page_numbers(50_000, 50, 10)
    assert len(spread) == 10 and spread[0] == 1 and spread[-1] == 1000
    assert spread == sorted(set(spread))
    gaps = [b - a for a, b in itertools.pairwise(spread)]
    assert max(gaps) - min(gaps) <= 1  # evenly spread


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[StashGateway, StashEmulator]]:
    generated = generate(GeneratorOptions(scenes=3000, seed=4))
    stash = StashEmulator(library=generated.stash).start()
    gw = StashGateway.from_server_connection(stash.connection())
    try:
        yield gw, stash
    finally:
        gw.close()
        stash.stop()


def test_sample_is_bounded_and_spread(gateway: tuple[StashGateway, StashEmulator]) -> None:
    gw, stash = gateway
    stash.log.clear()
    sample = spread_sample(gw, size=500, pages=10)
    assert sample.total == 3000
    assert sample.requests == 10 == stash.log.count("graphql:findScenes")
    ids = sample.ids
    assert len(ids) == len(set(ids)) == 500
    assert min(ids) == 1 and max(ids) == 3000
    # Every tenth of the id range is represented.
    assert {(i - 1) * 10 // 3000 for i in ids} == set(range(10))
    scene = next(s for s in sample.scenes if s.files)
    assert scene.files[0][0].startswith("/data/videos/") and scene.files[0][1] is not None


def test_small_library_is_read_whole(gateway: tuple[StashGateway, StashEmulator]) -> None:
    gw, _ = gateway
    sample = spread_sample(gw, size=5000, pages=2)
    assert sample.requests == 2 and len(sample.scenes) == 3000
