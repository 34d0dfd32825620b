"""Secrets: every task and hook, on success and on every failure path that could quote a
credential, with distinctive Plex token, Stash cookie, ApiKey and password in play.

ChaosWorld turns Stash auth on (password, API key, session cookie) and the Plex emulator's
token is distinctive. The plugin sends the cookie and the token; it receives the API key
when stashapi connects (`configuration { general { apiKey } }`); screenshot URLs carry no
`apikey` (reference/stash.md §7.6: only stream URLs do, which the plugin never fetches).
The faults answer with bodies repeating the request and the credentials (as a proxy or a
debug build might), GraphQL error messages quote them, an unexpected exception carries them
into a traceback.
Every run's stdout and stderr, every data-folder file (queue.db's failure reasons,
last_run.json, circuit.json, the reconciliation history) and what Stash keeps (job errors)
are scanned by the leak guard (the `tally` fixture's Tap); any leak fails the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from sandbox.harness import PluginRun
from sandbox.secrets import note_files, note_output
from tests.reliability.integrity import queued_ids
from tests.reliability.scale import CHAOS, pick
from tests.reliability.secrets_support import (
    DRIVER,
    PATHS,
    RAISE_ENV,
    REPO,
    SCENE_FAULTS,
    WHERE_ENV,
    FailurePath,
    clear_faults,
    hook_calls,
    stash_echo,
    stash_side_texts,
)
from tests.reliability.tally import Tally
from tests.reliability.world import ChaosWorld

DEBUG_MODES = (True, False) if CHAOS else (True,)
VIA_STASH_QUEUE = {"process_queue", "status"}  # also run as Stash runs them (job queue)


def _drain_stash_jobs(world: ChaosWorld) -> int:
    """Run the jobs waiting in Stash's queue (wake-ups, requested tasks) one by one."""
    ran = 0
    while world.stash.run_next_job() is not None:
        ran += 1
    return ran


def _text(runs: list[PluginRun]) -> str:
    return "\n".join(f"{r.error or ''}\n{r.stderr}" for r in runs)


def test_every_task_and_hook_with_debug_on_and_off_prints_no_secret(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    world = chaos_world(scenes=pick(20, 120), seed=91, run_jobs_inline=False)
    tasks = world.harness.manifest().tasks
    calls = hook_calls(world)
    tally.area = "secrets"
    tally.scenario = (
        f"All {len(tasks)} tasks and {len(calls)} hook calls, debug logging "
        f"{'on and off' if CHAOS else 'on'}, Stash auth on (token, cookie, ApiKey, password)"
    )
    seen_triggers: set[str] = set()
    for debug in DEBUG_MODES:
        world.sandbox.configure_plugin(debug_logging=debug)
        runs: list[PluginRun] = []
        # Tasks first: they refresh the settings snapshot the hooks read debug_logging from.
        for task in tasks:
            mode = task.default_args["mode"]
            if mode in VIA_STASH_QUEUE:
                world.request_task(task.name)
                assert _drain_stash_jobs(world) == 1
                run = world.sandbox.runner.results(task.name)[-1]
            else:
                run = world.run(mode, **{k: v for k, v in task.default_args.items() if k != "mode"})
            assert run.ok, (task.name, run.error, run.stderr[-1500:])
            runs.append(run)
        for trigger, hook_id, hook_input, fields in calls:
            run = world.harness.run_hook(trigger, hook_id, hook_input, fields)
            assert run.ok, (trigger, run.stderr[-1500:])
            seen_triggers.add(trigger)
            runs.append(run)
        assert _drain_stash_jobs(world) >= 1  # the hooks' wake-up: Process Queue via Stash
        runs += world.sandbox.runner.results("Stash2Plex: Process Queue")[-1:]
        # The setting really took effect both ways (debug lines are the wordiest output).
        assert ("[debug]" in _text(runs)) is debug
        note_output(*stash_side_texts(world))
        note_files(world.data_dir)
    manifest_triggers = {t for h in world.harness.manifest().hooks for t in h.triggered_by}
    assert seen_triggers == manifest_triggers
    assert {t.default_args["mode"] for t in tasks} >= {"health_check", "status", "sync_all"}
    assert tally.clean, tally.summary()


class _Tour:
    """Runs failure paths on one world; fresh scenes (never synced: their first push fetches
    the cover, so the cover faults are reached) are handed out two per hook."""

    def __init__(self, world: ChaosWorld) -> None:
        self.world = world
        truth = world.generated.truth
        with_cover = sorted(set(world.matchable()) - truth.no_cover - truth.no_metadata)
        self.fresh = iter(with_cover)
        self.exercised: list[str] = []
        self.taken: list[int] = []

    def take(self, n: int) -> list[int]:
        ids = [next(self.fresh) for _ in range(n)]
        self.taken += ids
        return ids

    def record(self, ids: list[int]) -> PluginRun:
        bulk = {"ids": [str(i) for i in ids], "rating100": 60}
        run = self.world.harness.run_hook("Scene.Update.Post", ids[0], bulk, ["ids", "rating100"])
        assert run.ok, run.stderr[-1500:]  # a hook records even when Stash or Plex is down
        return run

    def raise_text(self) -> str:
        w = self.world
        return (
            f"HTTPConnectionPool(host='127.0.0.1'): Max retries exceeded with url: "
            f"/library/metadata/1?X-Plex-Token={w.plex.token} (token {w.plex.token}, "
            f"cookie {w.harness.session_cookie}, {stash_echo(w)})"
        )

    def run(self, path: FailurePath, mode: str) -> PluginRun:
        if mode == "hook":
            return self.record(self.take(2))
        harness = self.world.harness
        if path.raise_where:
            env = {RAISE_ENV: self.raise_text(), WHERE_ENV: path.raise_where}
            env["PYTHONPATH"] = str(REPO)  # the driver imports this repository's tests
            harness = dataclasses.replace(harness, entry=str(DRIVER), env=env)
        return harness.run({"mode": mode}, timeout=120)

    def path(self, path: FailurePath) -> list[PluginRun]:
        path.arm(self.world)
        try:
            runs = [self.run(path, mode) for mode in path.modes]
        finally:
            path.disarm(self.world)
        assert path.proof in _text(runs), (path.name, _text(runs)[-3000:])
        self.exercised.append(path.name)
        return runs

    def scene_faults(self) -> list[PluginRun]:
        """Every per-scene fault in one Process Queue run; each must have been served."""
        self.record(self.take(len(SCENE_FAULTS) + 2))
        for _, server, fault_of in SCENE_FAULTS:
            getattr(self.world, server).knobs.add_fault(fault_of(self.world))
        runs = [self.world.run("process_queue")]
        left = self.world.plex.knobs.faults + self.world.stash.knobs.faults
        clear_faults(self.world)
        assert not left, f"faults never reached: {left}; {_text(runs)[-3000:]}"
        self.exercised += [name for name, _, _ in SCENE_FAULTS]
        return runs


def test_failure_paths_quoting_credentials_leak_nothing(
    chaos_world: Callable[..., ChaosWorld], tally: Tally
) -> None:
    paths = [p if CHAOS else dataclasses.replace(p, modes=p.modes[: p.fast]) for p in PATHS]
    paths = [p for p in paths if p.modes]
    # One request at a time: each fault path hits the request it aims at (with parallel
    # writes, which scene meets a counted fault depends on timing). Leaks are about words.
    world = chaos_world(
        scenes=pick(40, 240), seed=92, run_jobs_inline=False, plex_parallel_writes=1
    )
    tally.area = "secrets"
    tally.scenario = (
        f"{len(paths) + len(SCENE_FAULTS)} failure paths quoting token, cookie and ApiKey"
        f" (Plex/Stash errors, outages, covers, exceptions), debug "
        f"{'on and off' if CHAOS else 'on'}"
    )
    tour = _Tour(world)
    for debug in DEBUG_MODES:
        world.sandbox.configure_plugin(debug_logging=debug)
        tour.scene_faults()
        for path in paths:
            tour.path(path)
        _drain_stash_jobs(world)  # the hooks' wake-ups, as Stash would run them
        status = world.run("status")  # failed list, retry reasons, circuit, last run
        assert status.ok and status.output["queue"]["failed"] >= 1, status.stderr[-2000:]
    # Recovery: failed scenes retried, everything due pushed; what is left is backing off.
    assert world.run("retry_failed").ok
    for run in world.settle():
        assert run.ok, run.stderr[-2000:]
    if CHAOS:
        assert world.run("health_check").ok
    note_output(*stash_side_texts(world))
    tally.faults += len(tour.exercised)
    world.measure(tally, scenes=tour.taken, expect_queued=queued_ids(world.data_dir))
    assert len(tour.exercised) == (len(paths) + len(SCENE_FAULTS)) * len(DEBUG_MODES)
    assert tally.clean, tally.summary()
