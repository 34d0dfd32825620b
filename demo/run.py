"""`make demo`: Sync All Scenes through an emulated Stash into an emulated Plex, then check it.

Generates a library holding every case (SPEC §2.4/§2.5), starts the sandbox, asks the Stash
emulator to run "Sync All Scenes" with `runPluginTask` (it runs Stash2Plex.py as Stash does,
one job at a time, continuations included), prints a before/after table and checks that every
matchable Plex item now equals its scene. Exit status 1 when it does not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from demo.check import check_library, matchable_scenes
from sandbox.generator import GeneratorOptions
from sandbox.model import PlexItem, PlexLibrary
from sandbox.world import Sandbox, start_sandbox

__all__ = ["main", "run_demo"]

SYNC_ALL = "Sync All Scenes"
PROCESS_QUEUE = "Stash2Plex: Process Queue"
_RUN = 'mutation { runPluginTask(plugin_id: "Stash2Plex", task_name: "%s") }'


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _has_metadata(item: PlexItem) -> bool:
    """plex.md §7's signals: a summary, studio or date, or any genre/actor/collection."""
    if item.summary or item.studio or item.originally_available_at:
        return True
    return any(item.tags.get(kind) for kind in ("genre", "actor", "collection"))


@dataclass
class Snapshot:
    items: int
    with_metadata: int
    equal_scenes: int  # matchable scenes whose every item equals the scene


def snapshot(world: Sandbox) -> Snapshot:
    plex: PlexLibrary = world.plex.library
    with plex.lock:
        items = list(plex.items.values())
        check = check_library(world.generated, plex)
    bad = {int(p.split()[1]) for p in check.problems if p.startswith("scene ")}
    return Snapshot(
        len(items),
        sum(1 for item in items if _has_metadata(item)),
        check.scenes - len(bad),
    )


def _queue_reasons(data_dir: Path) -> tuple[Counter[str], Counter[str]]:
    from sync_queue.failed import FailedList
    from sync_queue.workqueue import WorkQueue

    queue = WorkQueue(data_dir)
    try:
        waiting = Counter(
            (item.wait_reason or item.last_error_class or "queued").split(":", 1)[0]
            for item in queue.items()
        )
    finally:
        queue.close()
    failed_list = FailedList(data_dir)
    try:
        failed = Counter(entry.reason_class for entry in failed_list.list())
    finally:
        failed_list.close()
    return waiting, failed


def _run_task(world: Sandbox, task: str) -> None:
    answer = requests.post(f"{world.stash.url}/graphql", json={"query": _RUN % task}, timeout=10)
    answer.raise_for_status()
    if answer.json().get("errors"):
        raise RuntimeError(f"runPluginTask failed: {answer.text[:300]}")


def _fmt(counter: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1]))


def run_demo(scenes: int, seed: int, latency_ms: float, data_dir: Path) -> int:
    """The whole demo; returns the exit status."""
    started = time.monotonic()
    options = GeneratorOptions(scenes=scenes, seed=seed)
    world = start_sandbox(options, data_dir=data_dir, latency_s=latency_ms / 1000.0)
    try:
        truth = world.generated.truth
        matchable = matchable_scenes(world.generated)
        _say(
            f"Stash2Plex demo: {scenes:,} generated scenes (seed {seed}), Plex at {world.plex.url},"
            f" Stash at {world.stash.url}, {latency_ms:g} ms emulated latency"
        )
        _say(
            f"Every case planted: {len(truth.not_scanned)} not scanned yet, "
            f"{len(truth.outside_sections)} outside the Plex libraries, {len(truth.ambiguous)} "
            f"ambiguous, {len(truth.no_cover)} without a cover, {len(truth.no_metadata)} without "
            f"metadata, {len(truth.two_sections)} in two sections, {len(truth.nfd)} NFD names"
        )
        before = snapshot(world)
        world.plex.log.clear()
        world.stash.log.clear()
        sync_started = time.monotonic()
        _run_task(world, SYNC_ALL)
        if not world.stash.wait_idle(600):
            _say("FAILED: Sync All Scenes did not finish within 10 minutes")
            return 1
        wall = time.monotonic() - sync_started
        after = snapshot(world)
        runs = world.runner.results(SYNC_ALL) + world.runner.results(PROCESS_QUEUE)
        errors = [r.error for r in runs if r.error]
        outputs: list[dict[str, Any]] = [r.output for r in runs if isinstance(r.output, dict)]
        totals = Counter[str]()
        for output in outputs:
            for key in ("synced", "unchanged", "waiting", "retried", "failed"):
                totals[key] += int(output.get(key, 0) or 0)
        waiting, failed = _queue_reasons(data_dir)
        plex_requests = world.plex.log.counts()
        stash_requests = world.stash.log.counts()

        _say()
        _say(f"{'':38}{'before':>10}{'after':>10}")
        _say(f"{'Plex items':38}{before.items:>10,}{after.items:>10,}")
        _say(
            f"{'Plex items with metadata':38}{before.with_metadata:>10,}{after.with_metadata:>10,}"
        )
        _say(
            f"{'Matchable scenes equal in Plex':38}{before.equal_scenes:>10,}"
            f"{after.equal_scenes:>10,}  of {len(matchable):,}"
        )
        _say()
        _say(
            f"Sync All Scenes: {wall:.1f} s wall, {len(runs)} job(s) "
            f"({len(runs) - 1} continuation(s)); outcomes: {_fmt(totals)}"
        )
        _say(f"  still waiting: {_fmt(waiting) or 'none'}")
        _say(f"  failed (permanent): {_fmt(failed) or 'none'}")
        _say(f"Plex requests: {sum(plex_requests.values()):,} — {_fmt(plex_requests)}")
        graphql = sum(v for k, v in stash_requests.items() if k.startswith("graphql"))
        _say(
            f"Stash requests: {sum(stash_requests.values()):,} — GraphQL {graphql:,}, "
            f"images {sum(stash_requests.values()) - graphql:,}"
        )
        for error in errors:
            _say(f"  a job ended with an error: {error}")

        check = check_library(world.generated, world.plex.library)
        _say()
        if check.ok and not errors:
            _say(
                f"OK: all {check.scenes:,} matchable scenes ({check.items:,} Plex items) now "
                f"carry their Stash metadata. Total {time.monotonic() - started:.1f} s."
            )
            return 0
        _say(f"FAILED: {len(check.problems)} difference(s) between Plex and Stash:")
        for problem in check.problems[:15]:
            _say(f"  {problem}")
        return 1
    finally:
        world.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a temp folder")
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        return run_demo(args.scenes, args.seed, args.latency_ms, args.data_dir)
    with tempfile.TemporaryDirectory(prefix="stash2plex-demo-") as folder:
        return run_demo(args.scenes, args.seed, args.latency_ms, Path(folder))
