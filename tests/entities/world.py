"""A synced sandbox for the entity-change tests: both emulators, the plugin's hooks and tasks.

`start_entity_world` generates a library where every scene matches one Plex item or two (no
unscanned, ambiguous or outside files: every scene of an entity can be written), stores the
plugin settings in Stash, and runs "Sync All Scenes" in this process through
`sandbox.inprocess.run_in_process` (the real worker, queue, Stash gateway and Plex step), so
the sync state holds what a real push leaves. Hooks fired by Stash mutations run the real
Stash2Plex.py through the harness (`StashPluginRunner`, synchronously inside the mutation, as
Stash does); jobs they request stay READY (tests run the worker in-process with `run_task`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from sandbox.generator import GeneratorOptions
from sandbox.generator.options import MATCHED_ONLY
from sandbox.harness import PluginRun
from sandbox.inprocess import run_in_process
from sandbox.world import Sandbox, start_sandbox
from sync_queue.workqueue import WorkQueue
from worker.services import WorkerServices

EDIT = "PUT /library/sections/{id}/all"
UPLOADS = ("POST /library/metadata/{rk}/posters", "POST /library/metadata/{rk}/arts")
FIND_SCENES = "graphql:findScenes"


@dataclass
class EntityWorld:
    sandbox: Sandbox
    data_dir: Path

    @property
    def stash(self) -> Any:
        return self.sandbox.stash

    @property
    def plex(self) -> Any:
        return self.sandbox.plex

    @property
    def library(self) -> Any:
        return self.sandbox.stash.library

    @property
    def truth(self) -> Any:
        return self.sandbox.generated.truth

    def run_task(self, mode: str, services: WorkerServices | None = None) -> PluginRun:
        """A task in this process, as Stash would start it."""
        stdin = self.sandbox.harness.stdin_payload({"mode": mode})
        return run_in_process(stdin, self.data_dir, services=services)

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """A mutation or query as the Stash UI sends it (hooks fire inside the request)."""
        answer = requests.post(
            f"{self.stash.url}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=120,
        )
        answer.raise_for_status()
        body = answer.json()
        assert not body.get("errors"), body
        return body["data"]

    def hook_runs(self, trigger: str) -> list[PluginRun]:
        return self.sandbox.runner.results(trigger)

    def queued(self) -> set[int]:
        with WorkQueue(self.data_dir) as queue:
            return {item.scene_id for item in queue.items()}

    def targets(self, scene_ids: Iterable[int]) -> set[int]:
        """Rating keys of the Plex items of `scene_ids`."""
        return {rk for sid in scene_ids for _, rk in self.truth.scenes[sid].targets}

    def written(self) -> set[int]:
        """Rating keys edited since the Plex log was last cleared (`id` of each PUT)."""
        keys: set[int] = set()
        for record in self.plex.log.records:
            if record.route == EDIT:
                keys.update(int(v) for k, v in record.query if k == "id")
        return keys

    def scenes_with(self, attribute: str, entity_id: int) -> set[int]:
        """Scenes of the Stash library whose `attribute` list holds `entity_id`."""
        return {
            sid
            for sid, scene in self.library.scenes.items()
            if entity_id in getattr(scene, attribute)
        }

    def stop(self) -> None:
        self.sandbox.stop()


def start_entity_world(
    data_dir: Path,
    scenes: int,
    seed: int,
    prepare: Any = None,
    **settings: object,
) -> EntityWorld:
    """Generate, let `prepare(library)` adjust the Stash library, configure, Sync All.

    With covers pushed, the generated scenes without a cover stay queued after the first
    sync, waiting for Stash to make one (the worker's `CoverPending` wait)."""
    options = GeneratorOptions(scenes=scenes, seed=seed, **MATCHED_ONLY)  # type: ignore[arg-type]
    sandbox = start_sandbox(options, data_dir=data_dir, run_jobs_inline=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    world = EntityWorld(sandbox, data_dir)
    try:
        if prepare is not None:
            prepare(sandbox.stash)
        sandbox.configure_plugin(**settings)
        first = world.run_task("sync_all")
        assert first.exit_code == 0, (first.error, first.messages()[-5:])
        summary = first.output
        assert summary["failed"] == 0, summary
        covers = not (settings.get("skip_poster") and settings.get("skip_background"))
        pending = len(world.truth.no_cover) if covers else 0
        assert summary["remaining"] == summary["waiting"] == pending, summary
    except BaseException:
        world.stop()
        raise
    return world
