"""The GraphQL guard (tests/graphql_guard.py) covers every supported release, and can fail.

A representative workload (Sync All, a scene edit through Stash with its hook and wake-up,
an entity edit, Process Queue, Reconcile Library (All) and (Recent), Sync Recent, Preview Gaps,
View Status, Health Check, which names the version) runs in the release
modes v0.24.3, v0.25.1 and v0.30.1; between them their documents are claimed for all eight
schemas (v0.24.3 … v0.30.1 and develop), and none is invalid on any.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import requests

from sandbox.generator import GeneratorOptions
from sandbox.harness import PluginRun
from sandbox.inprocess import run_in_process
from sandbox.stash_emu import StashEmulator
from sandbox.stash_emu.gql import DOCUMENT_OBSERVERS
from sandbox.world import Sandbox, start_sandbox
from tests.graphql_guard import SCHEMA_TAGS, GraphQLGuard, claimed_releases

MODES = ("v0.24.3", "v0.25.1", "v0.30.1")
PROCESS_QUEUE = "Stash2Plex: Process Queue"


def _graphql(world: Sandbox, query: str) -> dict[str, object]:
    answer = requests.post(f"{world.stash.url}/graphql", json={"query": query}, timeout=30)
    assert answer.status_code == 200 and not answer.json().get("errors"), answer.text
    return answer.json()["data"]  # type: ignore[no-any-return]


def _task(world: Sandbox, mode: str) -> PluginRun:
    data_dir = world.harness.data_dir
    assert data_dir is not None
    run = run_in_process(world.harness.stdin_payload({"mode": mode}), data_dir)
    assert run.ok, (mode, run.error, run.messages()[-5:])
    return run


def _workload(tmp_path: Path, release: str) -> None:
    world = start_sandbox(
        GeneratorOptions(scenes=12, seed=14),
        data_dir=tmp_path / release,
        stash_release=release,
        run_jobs_inline=False,  # the wake-up's Process Queue is run below, in this process
    )
    try:
        _task(world, "sync_all")
        scene = next(s for s in world.stash.library.scenes.values() if s.performer_ids)
        _graphql(
            world,
            f'mutation {{ sceneUpdate(input: {{id: "{scene.id}", title: "Renamed"}}) {{ id }} }}',
        )
        _graphql(
            world,
            f'mutation {{ performerUpdate(input: {{id: "{scene.performer_ids[0]}", '
            f'name: "Renamed Performer"}}) {{ id }} }}',
        )
        # The hooks ran as Stash runs them (stdlib path) and asked for a Process Queue.
        assert [j.task_name for j in world.stash.jobs] == [PROCESS_QUEUE]
        _task(world, "process_queue")
        for mode in ("reconcile_all", "sync_recent", "reconcile_recent", "preview_gaps", "status"):
            _task(world, mode)
        health = _task(world, "health_check")
        assert any(f"] Stash {release} reachable" in m for m in health.messages())
    finally:
        world.stop()


def test_documents_of_three_modes_are_valid_on_all_eight_schemas(
    tmp_path: Path, graphql_guard: GraphQLGuard
) -> None:
    before, errors_before = Counter(graphql_guard.validated), graphql_guard.errors
    for release in MODES:
        _workload(tmp_path, release)
    checked = graphql_guard.validated - before
    assert sorted(checked) == sorted(SCHEMA_TAGS)
    assert graphql_guard.errors == errors_before  # the conftest hook would also fail the test


def test_claims_group_the_releases_by_the_forms_the_plugin_uses() -> None:
    assert claimed_releases("v0.24.3") == ("v0.24.3",)
    assert claimed_releases("v0.25.1") == ("v0.25.1", "v0.26.2")
    assert claimed_releases("v0.30.1") == (
        "v0.27.2",
        "v0.28.1",
        "v0.29.3",
        "v0.30.1",
        "develop",
    )


def test_guard_reports_a_document_invalid_on_a_claimed_release(
    shared_dir: Path, graphql_guard: GraphQLGuard
) -> None:
    guard = GraphQLGuard(shared_dir / "reference", sharing=graphql_guard)
    guard.observe('query ScenesByIds { findScenes(ids: ["1"]) { count } }', "v0.24.3")
    (failure,) = guard.take()
    assert "ScenesByIds" in failure and "v0.24.3" in failure and "'ids'" in failure
    assert guard.take() == [] and guard.errors == 1
    guard.observe("query Fine { findScenes(scene_ids: [1]) { count } }", "v0.24.3")
    assert guard.take() == [] and guard.errors == 1


@pytest.mark.stash_surface  # the document below is invalid on purpose: the suite's guard sees it
def test_guard_hears_the_emulator(shared_dir: Path, graphql_guard: GraphQLGuard) -> None:
    # Valid in the v0.30.1 mode, but `parent_folder` objects arrived in v0.29: the emulator
    # runs it, and the guard reports it for v0.27.2 and v0.28.1, which the mode also claims.
    guard = GraphQLGuard(shared_dir / "reference", sharing=graphql_guard)
    DOCUMENT_OBSERVERS.append(guard.observe)
    try:
        with StashEmulator() as emu:
            emu.new_scene("/media/a.mp4")
            query = "query Folders { findScenes { scenes { files { parent_folder { id } } } } }"
            answer = requests.post(f"{emu.url}/graphql", json={"query": query}, timeout=10)
            assert answer.status_code == 200
    finally:
        DOCUMENT_OBSERVERS.remove(guard.observe)
    failures = guard.take()
    assert [f.split(" is invalid on Stash ")[1].split(":")[0] for f in failures] == [
        "v0.27.2",
        "v0.28.1",
    ]
