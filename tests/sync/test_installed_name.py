"""The plugin installed under another manifest name, as Stash runs it: Stash's plugin id is
the manifest's file name (pkg/plugin/config.go), so `s2p.yml` makes plugin `s2p`. Its
settings are stored under `s2p`, its wake-ups must name `s2p`, and every task must work."""

from __future__ import annotations

from pathlib import Path

import requests

from plugin.dispatch import task_routes
from runtime.wakeup import WORKER_JOB_DESCRIPTION, WORKER_TASK_NAME
from sandbox.generator import GeneratorOptions
from sandbox.install import install_plugin
from sandbox.world import start_sandbox
from tests.worker.fakes import edit_scene
from validation.snapshot import read_snapshot

_RUN = "mutation($id: ID!, $task: String!) { runPluginTask(plugin_id: $id, task_name: $task) }"


def _run_task(url: str, plugin_id: str, task: str) -> str:
    body = {"query": _RUN, "variables": {"id": plugin_id, "task": task}}
    answer = requests.post(f"{url}/graphql", json=body, timeout=10).json()
    assert not answer.get("errors"), answer
    return answer["data"]["runPluginTask"]


def test_installed_as_s2p_it_reads_its_settings_wakes_its_worker_and_runs_every_task(
    tmp_path: Path,
) -> None:
    folder = install_plugin(tmp_path / "plugins" / "s2p", "s2p.yml")
    assert not (folder / "Stash2Plex.yml").exists()
    world = start_sandbox(
        GeneratorOptions(scenes=8, seed=14),
        data_dir=tmp_path / "data",
        plugin_dir=folder,
        manifest_file="s2p.yml",
    )
    try:
        assert set(world.stash.library.plugin_settings) == {"s2p"}
        truth = world.generated.truth
        sid = next(
            s
            for s, fact in sorted(truth.scenes.items())
            if len(fact.targets) == 1 and s not in truth.ambiguous | truth.no_metadata
        )
        # A hook records the edit and wakes the worker under the id Stash knows.
        edit_scene(world.stash.url, sid, "Renamed under s2p")
        assert world.stash.wait_idle(120)
        (job,) = world.stash.jobs
        assert (job.plugin_id, job.description) == ("s2p", WORKER_JOB_DESCRIPTION)
        assert job.status == "FINISHED"
        (worker,) = world.runner.results(WORKER_TASK_NAME)
        assert worker.ok, (worker.error, worker.messages()[-5:])
        (_, rating_key) = truth.scenes[sid].targets[0]
        assert world.plex.item(rating_key).title == "Renamed under s2p"
        snapshot = read_snapshot(tmp_path / "data")
        assert snapshot.configured and snapshot.settings["plex_url"] == world.plex.url

        for route in task_routes():
            _run_task(world.stash.url, "s2p", route.name)
            assert world.stash.wait_idle(120)
            runs = world.runner.results(route.name)
            assert runs and runs[-1].ok, (route.name, runs[-1].error, runs[-1].messages()[-5:])
        assert {j.plugin_id for j in world.stash.jobs} == {"s2p"}
        assert [j for j in world.stash.jobs if j.status != "FINISHED"] == []
    finally:
        world.stop()


def test_a_wake_up_stash_fails_is_said_in_one_line_at_the_next_hook(tmp_path: Path) -> None:
    # The code's folder holds Stash2Plex.yml, but Stash knows the plugin as `s2p` (its
    # manifest lives elsewhere): the wake-up names an id Stash accepts and then fails.
    world = start_sandbox(GeneratorOptions(scenes=5, seed=15), data_dir=tmp_path / "data")
    world.runner.plugin_id = "s2p"
    try:
        edit_scene(world.stash.url, 1, "First edit")
        assert world.stash.wait_idle(60)
        (job,) = world.stash.jobs
        assert (job.plugin_id, job.status) == ("Stash2Plex", "FAILED")
        assert job.error == "Error creating plugin task: no plugin with ID Stash2Plex"
        assert world.runner.results(WORKER_TASK_NAME) == []
        (first,) = world.runner.results("Scene.Update.Post")
        assert first.ok and first.messages("warning") == []

        _age_marker(tmp_path / "data")  # the next hook comes after the marker's TTL
        edit_scene(world.stash.url, 2, "Second edit")
        edit_scene(world.stash.url, 3, "Third edit")
        second, third = world.runner.results("Scene.Update.Post")[1:]
        assert second.ok and third.ok
        (line,) = second.messages("warning")
        assert f"job {job.id} failed" in line and "manifest" in line
        assert third.messages("warning") == []  # said once: the next hook backs off
        assert len(world.stash.jobs) == 1  # and asked for no new job
    finally:
        world.stop()


def _age_marker(data_dir: Path) -> None:
    from runtime import wakeup

    state, at = wakeup.read_marker(data_dir) or ("", 0.0)
    assert state == "requested"
    job_id = wakeup.read_marker_job(data_dir)
    wakeup.write_marker(data_dir, state, at - wakeup.MARKER_TTL_S - 1, job_id)
