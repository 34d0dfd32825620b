"""`make demo`: reconcile a library with gaps of every kind, let the queue sync it, check it.

Generates a library holding every case (SPEC §2.4/§2.5) as an earlier sync left it (sync
state seeded: demo/library.py), starts both emulators, and asks the Stash emulator to run
"Reconcile Library (All)" with `runPluginTask`: Stash2Plex.py runs as Stash runs it, queues
the gaps and wakes "Stash2Plex: Process Queue", which the emulator's job queue runs next
(one job at a time, continuations included). Shows three scenes before and after side by
side, the log lines as Stash's log page shows them, then one live edit in Stash reaching
Plex through the hook, and the totals: gaps by type, what was queued, the worker's outcomes,
the requests both servers saw and a before/after table. It checks that every matchable Plex
item equals its scene and that the edit arrived; exit status 1 when not.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from demo.library import demo_options, start_demo_world
from demo.report import (
    Snapshot,
    failure_breakdown,
    fmt_counts,
    queue_reasons,
    say,
    snapshot,
    worker_totals,
)
from demo.showcase import card, live_edit, pick_showcase, print_cards, print_stash_log
from sandbox.world import Sandbox

__all__ = ["PROCESS_QUEUE", "RECONCILE_ALL", "main", "run_demo"]

RECONCILE_ALL = "Reconcile Library (All)"
PROCESS_QUEUE = "Stash2Plex: Process Queue"
JOBS_TIMEOUT_S = 600.0
_RUN = 'mutation { runPluginTask(plugin_id: "Stash2Plex", task_name: "%s") }'


def _run_task(world: Sandbox, task: str) -> None:
    answer = requests.post(f"{world.stash.url}/graphql", json={"query": _RUN % task}, timeout=10)
    answer.raise_for_status()
    if answer.json().get("errors"):
        raise RuntimeError(f"runPluginTask failed: {answer.text[:300]}")


def _intro(world: Sandbox, seed: int, latency_ms: float, before: Snapshot) -> None:
    truth = world.generated.truth
    say(
        f"Stash2Plex demo: {len(truth.scenes):,} generated scenes (seed {seed}), Plex at "
        f"{world.plex.url}, Stash at {world.stash.url}, {latency_ms:g} ms emulated latency"
    )
    say(
        f"Every case planted: {len(truth.not_scanned)} not scanned yet, "
        f"{len(truth.outside_sections)} outside the Plex libraries, {len(truth.ambiguous)} "
        f"ambiguous, {len(truth.no_cover)} without a cover, {len(truth.no_metadata)} without "
        f"metadata, {len(truth.two_sections)} in two sections, {len(truth.nfd)} NFD names"
    )
    say(
        f"An earlier sync recorded {before.sync_records:,} scenes; since then "
        f"{len(truth.stale)} were edited in Stash, {len(truth.wiped)} items were emptied by an "
        f"agent refresh, {len(truth.plex_empty)} items were scanned and never synced, "
        f"{len(truth.foreign - truth.no_metadata)} matched items carry an agent's metadata"
    )


def _table(before: Snapshot, after: Snapshot) -> None:
    say()
    say(f"{'':40}{'before':>10}{'after':>10}")
    say(f"{'Plex items':40}{before.items:>10,}{after.items:>10,}")
    say(f"{'Plex items with metadata':40}{before.with_metadata:>10,}{after.with_metadata:>10,}")
    say(f"{'Scenes with a sync record':40}{before.sync_records:>10,}{after.sync_records:>10,}")
    say(
        f"{'Matchable scenes in step in Plex':40}{before.in_step:>10,}{after.in_step:>10,}"
        f"  of {after.check.scenes:,}"
    )


def _reconcile_lines(output: Any) -> None:
    if not isinstance(output, dict):
        say(f"Reconcile Library (All): no JSON output ({str(output)[:200]!r})")
        return
    gaps = output.get("gaps_by_type") or {}
    say(
        f"Reconcile Library (All): {output.get('scenes_checked', 0):,} scenes checked, "
        f"{output.get('total_gaps', 0):,} gaps: {fmt_counts(gaps) or 'none'}"
    )
    say(
        f"  queued {output.get('enqueued_count', 0):,} scenes; skipped: "
        f"{output.get('skipped_no_metadata', 0):,} without metadata to push, "
        f"{output.get('skipped_already_queued', 0):,} already queued; "
        f"{output.get('ambiguous_count', 0):,} ambiguous (reported, not written); "
        f"worker {output.get('worker', '?')}"
    )
    say(
        f"  {output.get('plex_requests', 0)} Plex and {output.get('stash_requests', 0)} Stash "
        f"requests, {float(output.get('duration_s', 0.0)):.2f} s"
    )
    for error in output.get("errors") or []:
        say(f"  error: {error}")


def _requests_lines(world: Sandbox) -> None:
    plex = world.plex.log.counts()
    stash = world.stash.log.counts()
    say(f"Plex requests: {sum(plex.values()):,}: {fmt_counts(plex)}")
    graphql = {k.split(":", 1)[1]: v for k, v in stash.items() if k.startswith("graphql:")}
    other = {k: v for k, v in stash.items() if not k.startswith("graphql:")}
    say(f"Stash requests: {sum(stash.values()):,}: GraphQL {fmt_counts(graphql)}")
    if other:
        say(f"  and {fmt_counts(other)}")


def _live_edit(world: Sandbox, picks: list[tuple[str, int]], errors: list[str]) -> bool:
    """Rename one shown scene in Stash; True when its Plex item carries the new title."""
    if not picks:
        return False
    label, scene_id = picks[0]
    title = f"Renamed live in Stash ({scene_id})"
    say()
    say(f"A live edit: scene {scene_id} renamed in Stash to {title!r}")
    first = len(world.runner.runs)
    if not live_edit(world, scene_id, title, JOBS_TIMEOUT_S):
        say(f"FAILED: the job queue was still busy after {JOBS_TIMEOUT_S:.0f} s")
        return False
    runs = [run for _, run in world.runner.runs[first:]]
    errors.extend(f"{run.error}" for run in runs if run.error)
    print_stash_log("Stash's log for the edit", runs)
    shown = card(world, label, scene_id)
    print_cards("In Plex moments later:", [shown])
    return shown.rows[0][1] == shown.rows[0][2] == title and all(row[3] for row in shown.rows)


def run_demo(
    scenes: int, seed: int, latency_ms: float, data_dir: Path, *, foreign: bool = False
) -> int:
    """The whole demo; returns the exit status."""
    started = time.monotonic()
    world = start_demo_world(
        demo_options(scenes, seed, foreign=foreign), data_dir, latency_ms / 1000
    )
    try:
        before = snapshot(world, data_dir)
        _intro(world, seed, latency_ms, before)
        picks = pick_showcase(world)
        print_cards("Before, three of them:", [card(world, *pick) for pick in picks])
        world.plex.log.clear()
        world.stash.log.clear()
        run_started = time.monotonic()
        _run_task(world, RECONCILE_ALL)
        if not world.stash.wait_idle(JOBS_TIMEOUT_S):
            say(f"FAILED: the job queue was still busy after {JOBS_TIMEOUT_S:.0f} s")
            return 1
        wall = time.monotonic() - run_started
        after = snapshot(world, data_dir)
        reconciles = world.runner.results(RECONCILE_ALL)
        workers = world.runner.results(PROCESS_QUEUE)
        errors = [f"{run.error}" for run in reconciles + workers if run.error]
        print_stash_log("Stash's log (Settings → Logs)", [run for _, run in world.runner.runs])
        print_cards("After:", [card(world, *pick) for pick in picks])
        edit_ok = _live_edit(world, picks, errors)

        say()
        say("Totals")
        for run in reconciles:
            _reconcile_lines(run.output)
        totals = worker_totals(workers)
        waiting, failed = queue_reasons(data_dir)
        say(
            f"{PROCESS_QUEUE}: {len(workers)} job(s) ({max(len(workers) - 1, 0)} continuation(s)), "
            f"{sum(run.duration_s for run in workers):.1f} s; "
            + ", ".join(f"{name.replace('_', ' ')} {count:,}" for name, count in totals.items())
        )
        say(f"  still waiting: {fmt_counts(waiting) or 'none'}")
        say(f"  failed (permanent): {fmt_counts(failed) or 'none'}")
        _requests_lines(world)
        say(f"Wall time, reconcile to idle queue: {wall:.1f} s")
        _table(before, after)
        for error in errors:
            say(f"A job ended with an error: {error}")

        check = after.check
        say()
        if check.ok and not errors and reconciles and edit_ok:
            say(
                f"OK: all {check.scenes:,} matchable scenes ({check.items:,} Plex items) carry "
                f"their Stash metadata. Total {time.monotonic() - started:.1f} s."
            )
            return 0
        if not reconciles:
            say(f"FAILED: {RECONCILE_ALL} never ran")
            return 1
        if not edit_ok:
            say("FAILED: the live edit did not reach Plex")
            return 1
        say(
            f"FAILED: {len(after.out_of_step):,} of {check.scenes:,} matchable scenes differ "
            f"from Stash in Plex ({len(check.problems):,} differences):"
        )
        for line in failure_breakdown(world, after.out_of_step):
            say(line)
        for problem in check.problems[:15]:
            say(f"  {problem}")
        return 1
    finally:
        world.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a temp folder")
    parser.add_argument(
        "--foreign",
        action="store_true",
        help="also plant matched items with an agent's metadata and no sync record "
        "(reconciliation has no gap type for them: the check then fails, see demo/library.py)",
    )
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        return run_demo(
            args.scenes, args.seed, args.latency_ms, args.data_dir, foreign=args.foreign
        )
    with tempfile.TemporaryDirectory(prefix="stash2plex-demo-") as folder:
        return run_demo(args.scenes, args.seed, args.latency_ms, Path(folder), foreign=args.foreign)
