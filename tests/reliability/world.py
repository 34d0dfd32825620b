"""The reliability suite's world: the sandbox with Stash auth on and distinctive secrets.

`start_chaos_world` starts both emulators on a generated library (optionally seeded as an
earlier sync left it), turns on Stash's password, API key and session cookie with values the
leak guard knows, and remembers every Plex item's content so `measure` can tell wrong writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from demo.check import matchable_scenes, problem_scenes
from demo.library import demo_options
from sandbox.harness import PluginRun, RunningPlugin
from sandbox.secrets import distinctive, note_files
from sandbox.seed import seed_sync_state
from sandbox.world import Sandbox, start_sandbox
from tests.reliability.integrity import (
    data_dir_problems,
    out_of_step,
    plex_fingerprints,
    queued_ids,
    writable_items,
    wrong_writes,
    wrongly_failed,
)
from tests.reliability.tally import Tally

RUN_TASK = 'mutation { runPluginTask(plugin_id: "Stash2Plex", task_name: "%s") }'


@dataclass
class ChaosWorld:
    """A sandbox plus the plugin's data folder and the Plex content before any fault."""

    sandbox: Sandbox
    data_dir: Path
    before: dict[int, str] = field(default_factory=dict)

    @property
    def plex(self):  # type: ignore[no-untyped-def]
        return self.sandbox.plex

    @property
    def stash(self):  # type: ignore[no-untyped-def]
        return self.sandbox.stash

    @property
    def generated(self):  # type: ignore[no-untyped-def]
        return self.sandbox.generated

    @property
    def harness(self):  # type: ignore[no-untyped-def]
        return self.sandbox.harness

    def matchable(self) -> list[int]:
        return matchable_scenes(self.generated)

    def start(self, mode: str, **args: object) -> RunningPlugin:
        """Start a task process directly (as Stash does), not through the job queue."""
        return self.harness.start({"mode": mode, **args})

    def run(self, mode: str, *, timeout: float = 600, **args: object) -> PluginRun:
        return self.harness.run({"mode": mode, **args}, timeout=timeout)

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, timeout: float = 120
    ) -> Any:
        """A request as the Stash UI sends it (session cookie); its `data`, errors refused.
        A mutation returns after Stash ran the hooks it fired (synchronously)."""
        answer = requests.post(
            f"{self.stash.url}/graphql",
            json={"query": query, "variables": variables or {}},
            cookies={"session": self.harness.session_cookie or ""},
            timeout=timeout,
        )
        answer.raise_for_status()
        body = answer.json()
        assert not body.get("errors"), str(body)[:300]
        return body["data"]

    def request_task(self, task_name: str) -> None:
        """Ask Stash to run a manifest task (the Tasks page button): queued in its job queue."""
        self.graphql(RUN_TASK % task_name, timeout=10)

    def settle(self, max_runs: int = 10) -> list[PluginRun]:
        """Process Queue until nothing due is left (one clean run after the faults)."""
        runs = []
        for _ in range(max_runs):
            run = self.run("process_queue")
            runs.append(run)
            output = run.output if isinstance(run.output, dict) else {}
            if run.exit_code != 0 or not output.get("due_remaining"):
                break
        return runs

    def measure(
        self,
        tally: Tally,
        *,
        expect_queued: Iterable[int] = (),
        scenes: Iterable[int] | None = None,
        images: bool = True,
    ) -> Tally:
        """Fill `tally`'s lost and wrong counts from the data folder and both libraries.

        Lost: an unsound file, a matchable scene (of `scenes`, default all) out of step
        unless it is in `expect_queued` and still queued, a transient failure on the failed
        list. Wrong: an item no matchable scene owns that changed since the start.
        """
        note_files(self.data_dir)
        tally.add_lost([f"integrity: {p}" for p in data_dir_problems(self.data_dir)])
        expected = set(expect_queued)
        queued = queued_ids(self.data_dir)
        tally.add_lost([f"scene {sid} should still be queued" for sid in sorted(expected - queued)])
        watched = set(scenes) if scenes is not None else None
        problems = []
        for problem in out_of_step(self.generated, self.plex.library, images=images):
            (sid,) = problem_scenes([problem])
            if sid not in expected and (watched is None or sid in watched):
                problems.append(problem)
        tally.add_lost(problems)
        tally.add_lost(wrongly_failed(self.data_dir))
        tally.add_wrong(
            wrong_writes(self.before, self.plex.library, writable_items(self.generated))
        )
        return tally

    def stop(self) -> None:
        self.sandbox.stash.wait_idle(120)
        self.sandbox.stop()


def start_chaos_world(
    data_dir: Path,
    *,
    scenes: int = 200,
    seed: int = 9,
    seeded: bool = False,
    auth: bool = True,
    run_jobs_inline: bool = True,
    **settings: Any,
) -> ChaosWorld:
    """Both emulators on `scenes` generated scenes; `seeded`: as an earlier sync left them."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sandbox = start_sandbox(
        demo_options(scenes, seed), data_dir=data_dir, run_jobs_inline=run_jobs_inline
    )
    try:
        if seeded:
            seed_sync_state(sandbox.generated, data_dir)
        if auth:
            stash = sandbox.stash
            stash.enable_auth(password=distinctive("StashPassword"))
            stash.api_key = distinctive("StashApiKey")
            stash.session_max_age = 7 * 86400
            sandbox.harness.session_cookie = stash.new_session_cookie()
        if settings:
            sandbox.configure_plugin(**settings)
        world = ChaosWorld(sandbox, data_dir)
        world.before = plex_fingerprints(sandbox.plex.library)
        return world
    except BaseException:
        sandbox.stop()
        raise
