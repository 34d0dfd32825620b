"""End to end as Stash runs it: "Sync All Scenes", a scene edit whose hook wakes "Process
Queue", and "Unlock Plex Fields", started with `runPluginTask` on the Stash emulator, which
runs Stash2Plex.py through the harness, one job at a time, against the Plex emulator; in the
release modes v0.24.3 (settings query typed `[String!]`, no `findScenes(ids:)`, camelCased
settings), v0.25.1 (camelCased settings, no groups) and the latest (Unlock only there: of Stash
it reads only the settings, which Sync All has read in every mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from demo.check import check_library
from sandbox.generator import GeneratorOptions
from sandbox.world import start_sandbox
from tests.sync.conftest import EDIT

_RUN = 'mutation { runPluginTask(plugin_id: "Stash2Plex", task_name: "%s") }'


def _run_task(url: str, task: str) -> Any:
    answer = requests.post(f"{url}/graphql", json={"query": _RUN % task}, timeout=10)
    answer.raise_for_status()
    assert not answer.json().get("errors"), answer.text
    return answer.json()["data"]["runPluginTask"]


RELEASE_MODES = ["v0.24.3", "v0.25.1", "v0.30.1"]


@pytest.mark.parametrize("release", RELEASE_MODES)
def test_sync_all_then_unlock_through_stash(tmp_path: Path, release: str) -> None:
    # The old modes get a smaller library: what differs there is the documents, not the scale.
    scenes = 60 if release == RELEASE_MODES[-1] else 25
    world = start_sandbox(
        GeneratorOptions(scenes=scenes, seed=61),
        data_dir=tmp_path / "data",
        stash_release=release,
    )
    try:
        _run_task(world.stash.url, "Sync All Scenes")
        assert world.stash.wait_idle(120)
        (run,) = world.runner.results("Sync All Scenes")
        assert run.ok, (run.error, run.messages()[-5:])
        assert run.progress and run.progress[-1] == 1.0
        check = check_library(world.generated, world.plex.library)
        assert check.items > scenes * 2 // 3 and check.problems == []
        written = world.plex.log.count(EDIT)
        assert 0 < written <= check.items + len(world.generated.truth.heavy)

        # An edit in Stash: its hook (stdlib path) records it and asks for Process Queue,
        # which brings the new title to Plex.
        sid, rating_key = next(
            (sid, fact.targets[0][1])
            for sid, fact in sorted(world.generated.truth.scenes.items())
            if len(fact.targets) == 1
            and world.plex.item(fact.targets[0][1]).title == world.stash.library.scenes[sid].title
        )
        title = f"Renamed on {release}"
        edit = f'mutation {{ sceneUpdate(input: {{id: "{sid}", title: "{title}"}}) {{ id }} }}'
        assert (
            "errors"
            not in requests.post(
                f"{world.stash.url}/graphql", json={"query": edit}, timeout=30
            ).json()
        )
        assert world.stash.wait_idle(120)
        (queue_run,) = world.runner.results("Stash2Plex: Process Queue")
        assert queue_run.ok, (queue_run.error, queue_run.messages()[-5:])
        assert world.plex.item(rating_key).title == title

        if release != RELEASE_MODES[-1]:
            return
        _run_task(world.stash.url, "Unlock Plex Fields")
        assert world.stash.wait_idle(60)
        (unlock,) = world.runner.results("Unlock Plex Fields")
        assert unlock.ok, (unlock.error, unlock.messages()[-5:])
        assert any("unlocked" in line for line in unlock.messages("info"))
        for sid, fact in world.generated.truth.scenes.items():
            for _, rating_key in fact.targets:
                if sid not in world.generated.truth.ambiguous:
                    assert not world.plex.item(rating_key).locked & {"title", "genre", "thumb"}
    finally:
        world.stop()
