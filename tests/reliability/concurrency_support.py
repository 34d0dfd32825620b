"""Helpers of the concurrency scenarios: edits through Stash, hooks and tasks in parallel.

Edits go through the Stash emulator's GraphQL `sceneUpdate` (its hooks run the real
Stash2Plex.py inside the request, as Stash does), or are applied to the emulator's state
with Stash's own update rules when Stash itself is made to hang. Every process started
here is the real plugin, started by the harness exactly as Stash starts it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sandbox.harness import PluginRun, RunningPlugin
from sandbox.stash_emu.jobs import Job
from sandbox.stash_emu.scene_mutations import apply_update, transaction
from tests.reliability.world import ChaosWorld

T = TypeVar("T")
R = TypeVar("R")

SCENE_UPDATE = (
    "mutation Edit($input: SceneUpdateInput!) { sceneUpdate(input: $input) { id title } }"
)
HOOK_TRIGGER = "Scene.Update.Post"
PLEX_EDIT_ROUTE = "PUT /library/sections/{id}/all"
# What must never appear in a plugin's stderr, whatever ran beside it.
FORBIDDEN_STDERR = ("database is locked", "Traceback")


def edit_scene(world: ChaosWorld, scene_id: int, title: str, details: str) -> dict[str, Any]:
    """A sceneUpdate as the UI sends it; returns after Stash ran the hooks (synchronously)."""
    variables = {"input": {"id": str(scene_id), "title": title, "details": details}}
    return world.graphql(SCENE_UPDATE, variables)["sceneUpdate"]  # type: ignore[no-any-return]


def set_scene(world: ChaosWorld, scene_id: int, **fields: object) -> None:
    """Commit an edit in Stash's state without a request (its GraphQL is made to hang)."""
    state = world.stash.state
    with state.library.lock:
        scene = state.library.scenes[scene_id]
        with transaction([scene]):
            apply_update(state, scene, dict(fields))


def start_hook(world: ChaosWorld, scene_id: int, fields: dict[str, object]) -> RunningPlugin:
    """The scene hook process Stash starts after committing an edit of `fields`."""
    hook_input = {"id": str(scene_id), **fields}
    args = world.harness.hook_args(HOOK_TRIGGER, scene_id, hook_input, ["id", *fields])
    return world.harness.start(args)


def all_at_once(items: Sequence[T], action: Callable[[T], R], timeout: float = 300) -> list[R]:
    """Run `action` on every item in its own thread, all released by one barrier."""
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(items))

    def work(index: int, item: T) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = action(item)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(n, item), daemon=True) for n, item in enumerate(items)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    assert not any(t.is_alive() for t in threads), "a parallel action did not return"
    return results


def emulator_runs(world: ChaosWorld, name: str | None = None) -> list[PluginRun]:
    """Processes Stash (the emulator) started: tasks by name, hooks by trigger."""
    return world.sandbox.runner.results(name)


def stderr_problems(runs: Iterable[PluginRun]) -> list[str]:
    """Forbidden text in any run's stderr (a lock contention or a crash beside another run)."""
    return [
        f"{needle!r} in stderr: ...{run.stderr[max(0, run.stderr.find(needle) - 300) :][:600]}"
        for run in runs
        for needle in FORBIDDEN_STDERR
        if needle in run.stderr
    ]


def failed_hooks(runs: Iterable[PluginRun]) -> list[str]:
    return [
        f"hook exit {run.exit_code}, error {run.error!r}: {run.stderr[-500:]}"
        for run in runs
        if not run.ok or not isinstance(run.output, dict) or not run.output.get("scene_ids")
    ]


def jobs_named(world: ChaosWorld, task_name: str) -> list[Job]:
    return [job for job in world.stash.jobs if job.task_name == task_name]


def repeated_plex_writes(world: ChaosWorld) -> list[str]:
    """Plex writes sent twice with the same content (a scene processed twice as new).

    Each item gets one batched edit (split only past 8 KiB, into different fields) and one
    upload per image; a second processing of a synced scene writes nothing (it diffs
    against Plex). So any write repeated verbatim means work was done twice.
    """
    writes: Counter[tuple[str, str, str | None, tuple[tuple[str, str], ...]]] = Counter(
        (r.method, r.path, r.body_sha1, tuple(sorted(r.query)))
        for r in world.plex.log.records
        if r.method in ("PUT", "POST") and r.status < 400
    )
    return [
        f"{method} {path} sent {n} times" for (method, path, _, _), n in writes.items() if n > 1
    ]


def plex_edited_items(world: ChaosWorld) -> set[int]:
    """Items named by a batched edit (PUT …/all?id=…)."""
    items: set[int] = set()
    for record in world.plex.log.records:
        if record.route == PLEX_EDIT_ROUTE:
            for key, value in record.query:
                if key == "id":
                    items.update(int(part) for part in value.split(",") if part.isdigit())
    return items


def due_ids(world: ChaosWorld) -> set[int]:
    """Scenes with work due now: recorded in the inbox, or queued and ready (not waiting for
    a Plex scan or a cover, not backing off). After everything settled this must be empty."""
    from sync_queue.inbox import Inbox
    from sync_queue.workqueue import WorkQueue

    now = time.time()
    with Inbox(world.data_dir) as inbox:
        due = inbox.pending_ids("scene")
    with WorkQueue(world.data_dir) as queue:
        due |= {i.scene_id for i in queue.items() if i.state != "queued" or i.ready_at <= now}
    return due


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    from sandbox.httpd import wait_until

    assert wait_until(predicate, timeout=timeout, step=0.02), f"timed out waiting for {what}"
