"""Reconciliation benchmark: `Reconcile Library (All)` over 10,000 and 50,000 scenes.

The parent generates each library (sandbox generator), serves it with the Plex and Stash
emulators at 2 ms latency per request, and seeds a fresh data folder with the sync state an
earlier sync left (the truth's sync timestamps). A fresh child process (so neither the
generator nor the emulators count) connects to Stash, runs the engine with the hook inbox as
its queue (cold: the Plex path index is built in that run), then once more (warm: the index
is refreshed incrementally), and reports requests, wall time and its peak RSS (Linux `VmHWM`,
see bench/index_build.py). The parent checks the gaps found against the generator's truth,
counts the requests both emulators served, compares with the budgets (≤ 30 Plex requests at
10,000 scenes, wall ≤ 10 s / ≤ 45 s, ≤ 400 MB peak RSS at 50,000) and records the numbers in
docs/benchmarks.md between this benchmark's markers. POSIX only (`resource`).

Usage: python bench/reconcile.py [--scenes 10000 50000] [--latency-ms 2] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import machine_line, peak_rss_mb, run_child, write_section  # noqa: E402

BUDGET_WALL_S = {10_000: 10.0, 50_000: 45.0}
BUDGET_RSS_MB = 400.0  # at 50,000 scenes
BUDGET_PLEX_REQUESTS_10K = 30


def child(spec_path: str) -> None:
    """Runs in the fresh process: two engine runs (production settings); prints JSON."""
    import types

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from reconciliation.engine import GapDetectionEngine
    from stash.client import StashGateway
    from stash.connection import StashEndpoint
    from sync_queue.inbox import Inbox

    baseline = peak_rss_mb()
    config = types.SimpleNamespace(
        plex_url=spec["plex_url"], plex_token=spec["token"], path_map=spec["path_map"]
    )
    data_dir = spec["data_dir"]
    gateway = StashGateway(
        StashEndpoint.from_server_connection({"Scheme": "http", "Port": spec["stash_port"]})
    )
    runs = []
    for label in ("cold", "warm"):
        with Inbox(data_dir) as inbox:
            engine = GapDetectionEngine(gateway, config, data_dir, inbox, clock=lambda: spec["now"])
            started = time.perf_counter()
            result = engine.run("all")
            wall = time.perf_counter() - started
        runs.append(
            {
                "label": label,
                "wall_s": wall,
                "plex_requests": result.plex_requests,
                "stash_requests": result.stash_requests,
                "scenes_checked": result.scenes_checked,
                "gaps": result.by_type,
                "enqueued": result.enqueued_count,
                "skipped_already_queued": result.skipped_already_queued,
                "errors": result.errors,
            }
        )
        del result, engine
    print(json.dumps({"runs": runs, "rss_mb": peak_rss_mb(), "baseline_mb": baseline}))


def measure(scenes: int, latency_ms: float) -> dict[str, object]:
    from sandbox.generator import GeneratorOptions, generate
    from sandbox.plex_emu import PlexEmulator
    from sandbox.seed import seed_sync_state
    from sandbox.stash_emu import StashEmulator
    from sync_queue.inbox import Inbox
    from tests.reconciliation.engine.world import expected_gaps, expected_queue

    lib = generate(GeneratorOptions(scenes=scenes))
    now = lib.options.now.timestamp()
    want = expected_gaps(lib)
    with (
        PlexEmulator(library=lib.plex, clock=lambda: now + 3600) as plex,
        StashEmulator(library=lib.stash, tz_offset=lib.options.tz_offset) as stash,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        plex.knobs.latency_s = stash.knobs.latency_s = latency_ms / 1000
        seed_sync_state(lib, data_dir)
        spec = {
            "plex_url": plex.url,
            "token": plex.token,
            "stash_port": stash.port,
            "path_map": lib.truth.path_map,
            "data_dir": data_dir,
            "now": now,
        }
        spec_path = Path(data_dir) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        numbers = run_child(__file__, str(spec_path))
        with Inbox(data_dir) as inbox:
            queued = inbox.pending_ids("scene")
        # No push recorded a desired-state fingerprint in this seeded state: drift is 0.
        counts = {**{kind: len(ids) for kind, ids in want.items()}, "drift": 0}
        # Counts per type, and the queued scenes are exactly the expected gap scenes.
        numbers["gaps_correct"] = all(
            run["gaps"] == counts
            for run in numbers["runs"]  # type: ignore[attr-defined]
        ) and queued == expected_queue(lib, want)
        numbers["plex_served"] = len(plex.log)
        numbers["stash_served"] = len(stash.log)
    numbers.update(scenes=scenes, plex_items=len(lib.plex.items), latency_ms=latency_ms, want=want)
    return numbers


def _run(n: dict[str, object], label: str) -> dict[str, object]:
    return next(r for r in n["runs"] if r["label"] == label)  # type: ignore[attr-defined, index]


def within_budget(n: dict[str, object]) -> bool:
    scenes = int(n["scenes"])  # type: ignore[call-overload]
    cold = _run(n, "cold")
    ok = bool(n["gaps_correct"]) and not cold["errors"]
    ok = ok and float(cold["wall_s"]) <= BUDGET_WALL_S.get(scenes, 45.0)  # type: ignore[arg-type]
    if scenes <= 10_000:
        ok = ok and int(cold["plex_requests"]) <= BUDGET_PLEX_REQUESTS_10K  # type: ignore[call-overload]
    if scenes >= 50_000:
        ok = ok and float(n["rss_mb"]) <= BUDGET_RSS_MB  # type: ignore[arg-type]
    return ok


def render_section(results: list[dict[str, object]]) -> str:
    verdict = "within budget" if all(within_budget(n) for n in results) else "OVER BUDGET"
    latency = results[0]["latency_ms"]
    lines = [
        "## Reconciliation (`bench/reconcile.py`)\n",
        "`Reconcile Library (All)` with the sync state of an earlier sync seeded, against "
        f"generated libraries served by the Plex and Stash emulators at {latency:g} ms latency "
        "per request, in a fresh process (generator and emulators run in the parent). *Cold*: "
        "empty Plex path index, built in the run (full listing); *warm*: the same run again "
        "(incremental index refresh; every gap scene is then already queued). Requests are "
        "counted by the engine and by the emulators (the Stash count served includes the "
        "client's 3 connection requests). Gap counts per type equal to the generator's known "
        "sets and the queued scenes exactly its gap scenes with metadata: "
        + ", ".join(f"{n['scenes']:,}: **{n['gaps_correct']}**" for n in results)
        + ".\n",
        "| Scenes (Plex items) | Run | Plex requests | Stash requests | Wall | Gaps "
        "(empty / stale / missing) | Queued | Budget |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in results:
        scenes = int(n["scenes"])  # type: ignore[call-overload]
        for label in ("cold", "warm"):
            run = _run(n, label)
            gaps = run["gaps"]
            budget = ""
            if label == "cold":
                budget = f"wall ≤ {BUDGET_WALL_S.get(scenes, 45.0):.0f} s"
                if scenes <= 10_000:
                    budget += f", ≤ {BUDGET_PLEX_REQUESTS_10K} Plex requests"
            lines.append(
                f"| {scenes:,} ({n['plex_items']:,}) | {label} | {run['plex_requests']} | "
                f"{run['stash_requests']} | {float(run['wall_s']):.2f} s | "  # type: ignore[arg-type]
                f"{gaps['empty_metadata']} / {gaps['stale_sync']} / {gaps['missing']} | "  # type: ignore[index]
                f"{run['enqueued']} | {budget} |"
            )
    lines.append("")
    lines.append(
        "| Scenes | Peak RSS of the process | RSS after imports | Served: Plex / Stash | Budget |"
    )
    lines.append("|---|---|---|---|---|")
    for n in results:
        scenes = int(n["scenes"])  # type: ignore[call-overload]
        budget = f"≤ {BUDGET_RSS_MB:.0f} MB" if scenes >= 50_000 else ""
        lines.append(
            f"| {scenes:,} | {float(n['rss_mb']):.0f} MB | {float(n['baseline_mb']):.0f} MB | "  # type: ignore[arg-type]
            f"{n['plex_served']} / {n['stash_served']} | {budget} |"
        )
    lines.append(f"\nVerdict: **{verdict}**. {machine_line()}\n")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Reconciliation engine benchmark")
    parser.add_argument("--scenes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--latency-ms", type=float, default=2.0)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--child", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    results = [measure(scenes, args.latency_ms) for scenes in args.scenes]
    section = render_section(results)
    print(section)
    if not args.no_write:
        write_section("reconcile", section)
        print("updated docs/benchmarks.md")
    return 0 if all(within_budget(n) for n in results) else 1


if __name__ == "__main__":
    sys.exit(main())
