"""Stash's Stop button (SIGKILL) while the worker expands and pushes an entity rename.

A synced library in which the most shown performer, studio and tag are also given to every
2nd, 3rd and 4th matchable scene (before the first sync, so a rename has many scenes to push
at any size). They are renamed through the Stash emulator's GraphQL, which runs our entity
hooks inside the mutation as Stash does; the hooks wake "Process Queue" through Stash's job
queue. Each round renames one of them again (or only restarts the worker) and stops the
worker at a random instant: during start-up and the expansion (paged findScenes), or once it
has made some Plex edits. Then Process Queue until nothing is due: every scene showing a
renamed entity shows its last name in Plex, every matchable scene is in step, the data
folder is sound.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sandbox.generator import desired_item
from tests.reliability.crash_support import (
    edits,
    job_active,
    kill_plugin_job,
    killed,
    stash_graphql,
    wait_for,
)
from tests.reliability.scale import pick
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

SCENES = pick(100, 2000)
KILLS = pick(2, 10)
WORKER = "Stash2Plex: Process Queue"
# kind -> (update mutation, its input type, the Plex tag kind showing it)
KINDS = {
    "performer": ("performerUpdate", "PerformerUpdateInput", "actor"),
    "studio": ("studioUpdate", "StudioUpdateInput", "studio"),
    "tag": ("tagUpdate", "TagUpdateInput", "genre"),
}
RENAME = "mutation Rename($input: %s!) { %s(input: $input) { id } }"


def _ids_of(scene, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    if kind == "studio":
        return [scene.studio_id] if scene.studio_id else []
    return list(getattr(scene, f"{kind}_ids"))


def _spread(world: ChaosWorld, kind: str, every: int) -> int:
    """Show the most shown entity of `kind` on every `every`-th matchable scene as well, so
    a rename has many scenes to push at any size; returns its id. Before the first sync."""
    scenes = world.generated.stash.scenes
    counts: dict[int, int] = {}
    for sid in world.matchable():
        for eid in _ids_of(scenes[sid], kind):
            counts[eid] = counts.get(eid, 0) + 1
    entity = max(sorted(counts), key=lambda eid: counts[eid])
    with world.generated.stash.lock:
        for sid in world.matchable()[::every]:
            scene = scenes[sid]
            if kind == "studio":
                scene.studio_id = entity
            elif entity not in _ids_of(scene, kind):
                # first: within the 200 names pushed even for a scene with hundreds
                setattr(scene, f"{kind}_ids", [entity, *_ids_of(scene, kind)])
    return entity


def _shows(world: ChaosWorld, kind: str, name: str) -> tuple[int, list[str]]:
    """(matchable scenes whose items must show `name`, the items that do not)."""
    stash, plex = world.generated.stash, world.plex.library
    expected, missing = 0, []
    for sid in world.matchable():
        want = desired_item(stash.scenes[sid], stash)
        shown = want.fields.get("studio") if kind == "studio" else want.tags.get(KINDS[kind][2])
        if not shown or (name not in shown if kind != "studio" else shown != name):
            continue
        expected += 1
        for _, rk in world.generated.truth.scenes[sid].targets:
            item = plex.items[rk]
            have = item.studio if kind == "studio" else item.tags.get(KINDS[kind][2], [])
            if (name not in have) if kind != "studio" else have != name:
                missing.append(f"scene {sid} item {rk} does not show {kind} {name!r}")
    return expected, missing


def _rename(world: ChaosWorld, kind: str, entity_id: int, name: str) -> None:
    mutation, input_type, _ = KINDS[kind]
    stash_graphql(
        world, RENAME % (input_type, mutation), {"input": {"id": str(entity_id), "name": name}}
    )


def test_sigkill_while_an_entity_rename_is_expanded_and_pushed(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    tally.area = "crash"
    tally.scenario = f"SIGKILL x{KILLS} during entity-rename expansions, {SCENES:,} scenes"
    world = chaos_world(scenes=SCENES, seed=93)
    spread = zip(KINDS, (2, 3, 4), strict=True)
    targets = {kind: _spread(world, kind, every) for kind, every in spread}
    first = world.run("sync_all", timeout=300)
    assert first.exit_code == 0, first.stderr[-2000:]
    names: dict[str, str] = {}
    runner = world.sandbox.runner
    rng = random.Random(20260903)
    for n in range(KILLS):
        if n < len(KINDS) or rng.random() < 0.5:  # every kind once, then now and then again
            kind = list(KINDS)[n % len(KINDS)]
            names[kind] = f"Renamed {kind} {n} ✦"
            _rename(world, kind, targets[kind], names[kind])  # the hook wakes the worker
        if not job_active(world, WORKER):
            # No worker queued: a worker killed during its start-up leaves the wake-up marker,
            # which holds hooks back for up to 120 s (docs/worker.md); the user's button.
            world.request_task(WORKER)
        if rng.random() < 0.4:  # start-up and the expansion
            wait_for(lambda: job_active(world, WORKER), timeout=30)
            time.sleep(rng.uniform(0.0, pick(0.6, 1.0)))
        else:  # pushing: after some of the renamed scenes' edits
            target = edits(world) + rng.randint(1, pick(40, 300))
            wait_for(lambda t=target: edits(world) >= t or not job_active(world), timeout=120)
        kill_plugin_job(world, WORKER)
        assert world.stash.wait_idle(120)
    hits = sum(1 for label, run in runner.runs if label == WORKER and killed(run))
    tally.faults += hits

    runs = world.settle()
    assert runs[-1].exit_code == 0 and runs[-1].output["due_remaining"] == 0, runs[-1].stderr
    world.measure(tally)
    for kind, name in names.items():
        expected, missing = _shows(world, kind, name)
        assert expected > 0, (kind, name)
        tally.add_lost(missing)
    assert tally.clean, tally.summary()
    assert hits >= KILLS // 2, f"only {hits} of {KILLS} kills hit a running worker"
