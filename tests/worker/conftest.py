"""Fixtures of the worker tests: a sandbox world, plugin runners, in-process runs.

In-process tests run the plugin through `sandbox.inprocess.run_in_process` against the Stash
emulator (real HTTP, real settings reader, real stashapi gateway) with the scripted Plex step;
Stash's hooks are recorded by `InertRunner` and run in-process on demand, so no test process
is started unless a test means it. Subprocess tests use `SplitRunner`: tasks through the
driver script (scripted Plex step), hooks through the real Stash2Plex.py, both started
exactly as Stash starts them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.generator import GeneratorOptions
from sandbox.harness import (
    PLUGIN_ID,
    REPO_ROOT,
    PluginHarness,
    PluginRun,
    RunningPlugin,
    StashPluginRunner,
)
from sandbox.inprocess import run_in_process
from sandbox.world import Sandbox, start_sandbox
from sync_queue.inbox import Inbox
from sync_queue.workqueue import WorkQueue
from tests.worker.fakes import edit_scene
from worker.services import WorkerServices

DRIVER = Path(__file__).resolve().parent / "driver.py"


class InertRunner:
    """Stash accepts our tasks (they stay READY unless a test runs them, and running one
    blocks until `release` is set) and records hook events instead of starting processes."""

    plugin_id = PLUGIN_ID

    def __init__(self, harness: PluginHarness) -> None:
        self.harness = harness
        self.hooks: list[tuple[str, int, object, list[str] | None]] = []
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()

    def task_names(self) -> list[str]:
        return [t.name for t in self.harness.manifest().tasks]

    def run_task(
        self, task_name: str, args_map: dict[str, object], progress: Callable[[float], None]
    ) -> str | None:
        self.started.set()
        self.release.wait(30)
        return None

    def fire_hooks(
        self, trigger: str, hook_id: int, hook_input: object, input_fields: list[str] | None
    ) -> None:
        self.hooks.append((trigger, hook_id, hook_input, input_fields))

    def cancel_running(self) -> None:
        self.release.set()


class SplitRunner(StashPluginRunner):
    """Tasks through `task_harness` (the driver), hooks through `hook_harness` (the real
    entry). `kill_hooks_after=N`: hooks after the N-th are cancelled like Stash does when
    the request is dropped: the next one is SIGKILLed mid-run, the rest never start."""

    def __init__(
        self,
        task_harness: PluginHarness,
        hook_harness: PluginHarness,
        kill_hooks_after: int | None = None,
        kill_delay_s: float = 0.02,
    ) -> None:
        super().__init__(task_harness)
        self.hook_harness = hook_harness
        self.kill_hooks_after = kill_hooks_after
        self.kill_delay_s = kill_delay_s
        self.hooks_started = 0
        self.hooks_killed = 0
        self.hooks_skipped = 0
        self._manifest = hook_harness.manifest()  # parsed once: a bulk fires 1,000 hooks

    def fire_hooks(
        self, trigger: str, hook_id: int, hook_input: object, input_fields: list[str] | None
    ) -> None:
        for hook in self._manifest.hooks_for(trigger):
            with self._lock:
                self.hooks_started += 1
                number = self.hooks_started
            limit = self.kill_hooks_after
            if limit is not None and number > limit + 1:
                with self._lock:
                    self.hooks_skipped += 1
                continue
            args = self.hook_harness.hook_args(
                trigger, hook_id, hook_input, input_fields, default_args=hook.default_args
            )
            running = self.hook_harness.start(args)
            if limit is not None and number == limit + 1:
                _kill_soon(running, self.kill_delay_s)
                with self._lock:
                    self.hooks_killed += 1
            result = running.wait(timeout=self.task_timeout)
            with self._lock:
                self.runs.append((trigger, result))


def _kill_soon(running: RunningPlugin, delay_s: float) -> None:
    timer = threading.Timer(delay_s, running.kill)
    timer.start()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Sandbox]:
    """30 scenes, jobs not run (they stay READY), hooks recorded by an InertRunner."""
    sandbox = start_sandbox(
        GeneratorOptions(scenes=30), data_dir=tmp_path / "data", run_jobs_inline=False
    )
    sandbox.stash.plugin_runner = InertRunner(sandbox.harness)
    (tmp_path / "data").mkdir()
    yield sandbox
    sandbox.stop()


def data_dir_of(world: Sandbox) -> Path:
    assert world.harness.data_dir is not None
    return world.harness.data_dir


def run_inproc(
    world: Sandbox, args: dict[str, object], services: WorkerServices | None = None
) -> PluginRun:
    """`args` as Stash would send them to this world's plugin, run in this process."""
    return run_in_process(world.harness.stdin_payload(args), data_dir_of(world), services=services)


def run_task(world: Sandbox, mode: str, services: WorkerServices | None = None) -> PluginRun:
    return run_inproc(world, {"mode": mode}, services)


def run_recorded_hooks(world: Sandbox) -> list[PluginRun]:
    """Run (in-process, in order) the hooks Stash fired since the last call."""
    runner = world.stash.plugin_runner
    assert isinstance(runner, InertRunner)
    calls, runner.hooks[:] = list(runner.hooks), []
    return [
        run_inproc(world, world.harness.hook_args(trigger, hook_id, hook_input, fields))
        for trigger, hook_id, hook_input, fields in calls
    ]


def edit_and_hook(world: Sandbox, scene_id: int, title: str) -> str:
    """Edit a scene in Stash and run its hook in-process; returns the new updated_at."""
    scene = edit_scene(world.stash.url, scene_id, title)
    run_recorded_hooks(world)
    return str(scene["updated_at"])


def stash_query(world: Sandbox, query: str, variables: dict[str, object] | None = None) -> Any:
    from stash.connection import StashEndpoint
    from stash.hookcalls import post_graphql

    endpoint = StashEndpoint(host="127.0.0.1", port=world.stash.port)
    return post_graphql(endpoint, query, variables, timeout=30)


def stash_updated_at(world: Sandbox, scene_id: int) -> str:
    """The scene's updated_at exactly as Stash answers it."""
    data = stash_query(world, f'query {{ findScene(id: "{scene_id}") {{ updated_at }} }}')
    return str(data["findScene"]["updated_at"])


def queue_scenes(world: Sandbox, ids: list[int]) -> None:
    """Record scenes in the inbox as hooks would (Scene.Update.Post)."""
    with Inbox(data_dir_of(world)) as inbox:
        inbox.record("scene", ids, "Scene.Update.Post")


def queue_items(world: Sandbox) -> dict[int, Any]:
    with WorkQueue(data_dir_of(world)) as queue:
        return {item.scene_id: item for item in queue.items()}


def our_jobs(world: Sandbox, status: str | None = None) -> list[Any]:
    return [
        job
        for job in world.stash.jobs
        if job.task_name == "Stash2Plex: Process Queue" and (status is None or job.status == status)
    ]


def split_runner(world: Sandbox, env: dict[str, str], **options: Any) -> SplitRunner:
    """Make `world` run tasks through the driver (with `env`) and hooks through the entry."""
    task_harness = PluginHarness(
        plugin_dir=REPO_ROOT,
        stash_url=world.stash.url,
        data_dir=world.harness.data_dir,
        entry=str(DRIVER),
        env=env,
    )
    runner = SplitRunner(task_harness, world.harness, **options)
    world.stash.plugin_runner = runner
    return runner


def all_stderr(runs: list[PluginRun]) -> str:
    return "\n".join(r.stderr for r in runs)
