"""`EntityExpander` against the Stash emulator: which scenes each entity kind reaches, paging
(one request per page), destroys from the sync state, and Stash failing mid-expansion."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from base.errors import StashError
from sandbox.generator import GeneratorOptions, generate
from sandbox.httpd import Fault
from sandbox.stash_emu import StashEmulator
from stash.client import StashGateway
from sync_queue.inbox import InboxRow
from sync_queue.sync_state import SceneSyncState, SyncStateStore
from worker.expand import EntityExpander, entity_criterion, is_entity_kind

FIND_SCENES = "graphql:findScenes"


@pytest.fixture(scope="module")
def stash() -> Iterator[StashEmulator]:
    with StashEmulator(generate(GeneratorOptions(scenes=400, seed=12)).stash) as emulator:
        yield emulator


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SyncStateStore]:
    with SyncStateStore(tmp_path) as sync_state:
        yield sync_state


def _row(kind: str, ref_id: int, seq: int = 1) -> InboxRow:
    return InboxRow(seq, kind, ref_id, 0.0, "test", None, 0.0, 0)


def _expander(stash: StashEmulator, store: SyncStateStore, **kwargs: int) -> EntityExpander:
    gateway = StashGateway.from_server_connection(stash.connection())
    return EntityExpander(lambda: gateway, store, **kwargs)


def test_each_kind_reaches_the_scenes_showing_it(
    stash: StashEmulator, store: SyncStateStore
) -> None:
    lib = stash.library
    parent = next(s.parent_id for s in lib.studios.values() if s.parent_id is not None)
    children = {s.id for s in lib.studios.values() if s.parent_id == parent}
    performer = next(iter(lib.scenes[1].performer_ids or [1]))
    tag = lib.scenes[2].tag_ids[0] if lib.scenes[2].tag_ids else 1
    group = next(g for s in lib.scenes.values() for g, _ in s.groups)
    expander = _expander(stash, store)
    expected = {
        # A parent's name is a collection of its child studios' scenes: depth 1, no deeper.
        "studio": {s.id for s in lib.scenes.values() if s.studio_id in {parent, *children}},
        "performer": {s.id for s in lib.scenes.values() if performer in s.performer_ids},
        "tag": {s.id for s in lib.scenes.values() if tag in s.tag_ids},
        "group": {s.id for s in lib.scenes.values() if any(g == group for g, _ in s.groups)},
    }
    ids = {"studio": parent, "performer": performer, "tag": tag, "group": group}
    for kind, want in expected.items():
        stash.log.clear()
        result = expander.expand([_row(kind, ids[kind])])
        assert set(result.scene_ids) == want and want, kind
        assert result.requests == stash.log.count(FIND_SCENES) == 1


def test_one_request_per_page_and_one_query_for_many_entities(
    stash: StashEmulator, store: SyncStateStore
) -> None:
    lib = stash.library
    performers = sorted({p for s in lib.scenes.values() for p in s.performer_ids})[:40]
    want = {s.id for s in lib.scenes.values() if set(s.performer_ids) & set(performers)}
    stash.log.clear()
    result = _expander(stash, store, per_page=7).expand(
        [_row("performer", p, seq) for seq, p in enumerate(performers, 1)]
    )
    assert set(result.scene_ids) == want and len(result.scene_ids) == len(want)
    assert result.entities == len(performers)
    assert result.requests == stash.log.count(FIND_SCENES) == math.ceil(len(want) / 7)


def test_destroys_come_from_the_sync_state_without_asking_stash(
    stash: StashEmulator, store: SyncStateStore
) -> None:
    store.put_many(
        [
            SceneSyncState(1, None, 1.0, entities={"tag": (5, 6)}),
            SceneSyncState(2, None, 1.0, entities={"tag": (6,), "performer": (5,)}),
            SceneSyncState(3, None, 1.0, entities={"studio": (5,)}),
        ]
    )
    calls: list[int] = []

    def connect() -> object:
        calls.append(1)
        raise AssertionError("a destroy must not need Stash")

    expander = EntityExpander(connect, store)
    result = expander.expand([_row("tag_destroy", 6), _row("performer_destroy", 5, 2)])
    assert result.scene_ids == [1, 2] and result.requests == 0 and calls == []
    assert expander.expand([_row("scene", 4), _row("tag_destroy", 99)]).scene_ids == []


def test_stash_failing_raises_a_stash_error(stash: StashEmulator, store: SyncStateStore) -> None:
    expander = _expander(stash, store)
    stash.knobs.add_fault(Fault(action="status", status=503, count=1, path_regex="^/graphql"))
    try:
        with pytest.raises(StashError):
            expander.expand([_row("tag", 1)])
    finally:
        stash.knobs.clear_faults()


def test_criteria_and_kinds() -> None:
    assert entity_criterion("studio", [3]) == {
        "studios": {"value": ["3"], "modifier": "INCLUDES", "depth": 1}
    }
    assert entity_criterion("group", [2], (0, 26, 0)) == {
        "movies": {"value": ["2"], "modifier": "INCLUDES"}
    }
    assert [is_entity_kind(k) for k in ("tag", "tag_destroy", "scene", "scene_destroy")] == [
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(ValueError):
        entity_criterion("scene", [1])
