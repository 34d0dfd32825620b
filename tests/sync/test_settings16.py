"""The settings of issue 16, as Stash runs the plugin against both emulators.

`ignore_not_in_plex`: scenes Plex does not have (not scanned yet, or outside every library)
are one count, never a warning, a scan, a failure or a retry; once Plex scans one by itself,
the next reconciliation queues it and the worker pushes it. `hide_paths`: every task of the
dispatch table and a hook, on a library with failures of several kinds, print no file path
and no file name (stderr, stdout, View Status, Health Check), except the prefixes of the
path-map suggestion.

Each run is `plugin.app.run` in this process (`sandbox.inprocess.run_in_process`) on the stdin
Stash would send; Stash's job queue is not run inline, so no subprocess is started.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.generator import GeneratorOptions
from sandbox.harness import PluginRun
from sandbox.inprocess import run_in_process
from sandbox.world import Sandbox, start_sandbox
from sync_queue.queuedb import get_queued_scene_ids
from tests.sync.conftest import EDIT, SCAN


def _options(**extra: object) -> GeneratorOptions:
    """A small library where every Plex-side fate occurs a few times."""
    values: dict[str, object] = {
        "scenes": 40,
        "seed": 16,
        "frac_no_files": 0.05,
        "frac_outside_sections": 0.1,
        "frac_not_scanned": 0.1,
        "frac_no_cover": 0.0,
        "frac_no_metadata": 0.0,
        **extra,
    }
    return GeneratorOptions(**values)  # type: ignore[arg-type]


def _run(world: Sandbox, data_dir: Path, mode: str, **args: object) -> PluginRun:
    payload = world.harness.stdin_payload({"mode": mode, **args})
    run = run_in_process(payload, data_dir)
    assert run.ok, (mode, run.error, run.stderr[-3000:])
    return run


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    options = getattr(request, "param", None) or _options()
    sandbox = start_sandbox(options, data_dir=tmp_path / "data", run_jobs_inline=False)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _section_holding(world: Sandbox, plex_path: str) -> int:
    for section in world.plex.library.sections.values():
        if any(plex_path.startswith(location.rstrip("/") + "/") for location in section.locations):
            return section.id
    raise AssertionError(f"no section holds {plex_path}")


# -- ignore_not_in_plex --------------------------------------------------------------------


@pytest.mark.parametrize("world", [_options(frac_ambiguous=0.0)], indirect=True)
def test_ignore_not_in_plex_counts_them_once_and_pushes_one_plex_scanned_later(
    world: Sandbox, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    truth = world.generated.truth
    absent = (truth.not_scanned | truth.outside_sections) - truth.no_files
    assert len(truth.not_scanned - truth.no_files) >= 2 and truth.outside_sections
    world.configure_plugin(ignore_not_in_plex=True)

    sync = _run(world, data_dir, "sync_all")

    # Counted in one line; no warning, no scan request, nothing failed, waiting or queued.
    assert sync.messages("warning") == [], sync.messages("warning")
    n = len(absent)
    assert f"{n} scenes are not in Plex" in sync.messages("info"), sync.messages("info")
    assert world.plex.log.count(SCAN) == 0 and world.plex.scan_events == []
    output = sync.output
    assert isinstance(output, dict)
    assert output["failed"] == output["waiting"] == output["retried"] == 0
    groups = {(g["fate"], g["reason"]): g["count"] for g in output["not_synced"]}
    assert groups[("not in Plex", "not_in_plex")] == n
    assert not set(get_queued_scene_ids(data_dir)) & absent  # not retried
    status = _run(world, data_dir, "status")
    assert status.output["queue"]["failed"] == 0  # type: ignore[index]
    assert f"Last run: {n} scenes are not in Plex" in status.messages("info")

    # Plex scans one of them by itself; a scoped reconciliation (the scene is not "recent")
    # finds it in the refreshed index and queues it; the worker pushes it.
    later = min(truth.not_scanned - truth.no_files - truth.recent_24h)
    plex_path = truth.scenes[later].plex_paths[0]
    item = world.plex.add_item(_section_holding(world, plex_path), [plex_path])
    title = world.stash.library.scenes[later].title
    assert item.title != title

    reconcile = _run(world, data_dir, "reconcile_recent")
    assert reconcile.output["in_plex_now_count"] == 1  # type: ignore[index]
    assert reconcile.output["not_in_plex_count"] == n - 1  # type: ignore[index]
    assert get_queued_scene_ids(data_dir) == {later}
    world.plex.log.clear()
    pushed = _run(world, data_dir, "process_queue")

    assert world.plex.log.count(EDIT) == 1
    assert world.plex.item(item.rating_key).title == title
    assert pushed.output["synced"] == 1 and pushed.output["not_pushed"] == 0  # type: ignore[index]
    # The rest stay counted by the next reconciliation, not queued again.
    again = _run(world, data_dir, "reconcile_all")
    assert again.output["not_in_plex_count"] == n - 1  # type: ignore[index]
    assert again.output["gaps_by_type"]["missing"] == 0  # type: ignore[index]
    assert not set(get_queued_scene_ids(data_dir)) & absent

    # Without reconciliation: a worker run whose own miss refreshes the index (an edit of a
    # scene still not in Plex) finds another one Plex scanned meanwhile, and pushes it too.
    second = min(truth.not_scanned - truth.no_files - {later})
    plex_path = truth.scenes[second].plex_paths[0]
    item = world.plex.add_item(_section_holding(world, plex_path), [plex_path])
    edited = min(truth.outside_sections - truth.no_files)
    hook = world.harness.hook_args("Scene.Update.Post", edited, {"id": str(edited)}, ["id"])
    assert run_in_process(world.harness.stdin_payload(hook), data_dir).ok
    world.plex.log.clear()
    run = _run(world, data_dir, "process_queue")
    assert world.plex.item(item.rating_key).title == world.stash.library.scenes[second].title
    assert (run.output["synced"], run.output["not_pushed"]) == (1, 1)  # type: ignore[index]
    assert world.plex.log.count(EDIT) == 1 and world.plex.log.count(SCAN) == 0
    assert "1 scene is not in Plex" in run.messages("info")

    # A noted scene whose file moved in Stash to a folder Plex has (its noted path is old):
    # reconciliation's own matching finds it in Plex and queues it.
    moved = max(truth.outside_sections - truth.no_files)
    assert moved != edited
    stash_root, plex_root = truth.path_map.split("=>")
    section = world.plex.library.sections[1]
    plex_path = f"{section.locations[0].rstrip('/')}/moved - 1.mp4"
    item = world.plex.add_item(section.id, [plex_path])
    with world.stash.library.lock:
        world.stash.library.scenes[moved].files[0].path = stash_root + plex_path[len(plex_root) :]
    found = _run(world, data_dir, "reconcile_all")
    assert found.output["in_plex_now_count"] == 1  # type: ignore[index]
    assert found.output["not_in_plex_count"] == n - 3  # type: ignore[index]
    assert get_queued_scene_ids(data_dir) == {moved}
    assert _run(world, data_dir, "process_queue").output["synced"] == 1  # type: ignore[index]
    assert world.plex.item(item.rating_key).title == world.stash.library.scenes[moved].title


# -- hide_paths ----------------------------------------------------------------------------


def _forbidden(world: Sandbox) -> set[str]:
    """Every file path, folder, file name, name stem and name number of the generated
    library, in Stash's and Plex's form, except the two roots (the path-map suggestion shows
    those)."""
    truth = world.generated.truth
    roots = {side.strip() for side in truth.path_map.split("=>")}
    paths = [f.path for s in world.generated.stash.scenes.values() for f in s.files]
    paths += [p for fact in truth.scenes.values() for p in fact.plex_paths]
    # Every generated file name carries its scene's number: any piece of a name shows it.
    found = {f" - {sid:06d}" for sid in world.generated.stash.scenes}
    for path in paths:
        folder, _, name = path.rpartition("/")
        found |= {path, name, name.rpartition(".")[0]}
        while folder and folder not in roots:
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return found


def _leaks(run: PluginRun, forbidden: set[str]) -> list[str]:
    text = run.stdout + "\n" + run.stderr
    return sorted(f for f in forbidden if f in text)


@pytest.mark.parametrize("world", [_options(frac_ambiguous=0.1)], indirect=True)
def test_hide_paths_every_task_and_a_hook_print_no_path_but_the_suggested_prefixes(
    world: Sandbox, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    truth = world.generated.truth
    assert truth.ambiguous and truth.not_scanned and truth.outside_sections and truth.path_map
    forbidden = _forbidden(world)
    # Debug lines are the wordiest (the candidates of an ambiguous match, Plex's folders).
    world.configure_plugin(hide_paths=True, skip_plex_scan=True, debug_logging=True)
    runs: dict[str, PluginRun] = {}
    # Sync first, so the queue, the failed list and the last run hold every kind of failure.
    runs["sync_all"] = _run(world, data_dir, "sync_all")
    assert runs["sync_all"].messages("warning")  # ambiguous and outside scenes failed
    for task in world.harness.manifest().tasks:
        mode = task.default_args["mode"]
        runs[mode] = _run(world, data_dir, **task.default_args)
    scene = min(truth.ambiguous)
    hook = world.harness.hook_args("Scene.Update.Post", scene, {"id": str(scene)}, ["id"])
    runs["hook"] = run_in_process(world.harness.stdin_payload(hook), data_dir)
    assert runs["hook"].ok, runs["hook"].stderr
    runs["after hook"] = _run(world, data_dir, "process_queue")
    # Health Check without path_map: the suggestion shows the two prefixes, nothing more.
    world.configure_plugin(path_map="")
    health = runs["suggestion"] = _run(world, data_dir, "health_check")
    suggestion = [m for m in health.messages() if "Path map suggestion: " in m]
    assert suggestion and truth.path_map in suggestion[0], health.messages()
    # Its examples name scenes by id and title instead (titles are the user's own words).
    titles = {sid: s.title for sid, s in world.generated.stash.scenes.items() if s.title}
    named = re.findall(r'e\.g\. scene (\d+) "([^"]+)"', "\n".join(health.messages()))
    assert named and all(titles[int(sid)].startswith(t.rstrip("…")) for sid, t in named)

    assert "[debug] " in runs["after hook"].stderr
    assert {mode for mode in runs} >= {"status", "health_check", "preview_gaps", "retry_failed"}
    leaks = {name: _leaks(run, forbidden) for name, run in runs.items()}
    assert not any(leaks.values()), {k: v[:5] for k, v in leaks.items() if v}
    # The filter is what keeps them out: the same status without the setting shows paths.
    world.configure_plugin(hide_paths=False, path_map=truth.path_map)
    assert _leaks(_run(world, data_dir, "preview_gaps"), forbidden)
