"""Throughput benchmark (issue 20): a first Sync All one request at a time, then in parallel.

One invocation runs pairs of first syncs of the same generated library (2,000 scenes), each
on fresh emulators and a fresh data folder: `plex_parallel_writes=1`, then the default (4).
The Plex emulator runs its service-time model (sandbox/plex_emu/service_time.py): every
request pays a round trip R, edits are served one at a time (E each, Plex's SQLite lock),
uploads at most 4 at a time (U each). The pairs: R = 20 ms (a NAS or a remote server), then
R = 1 ms (Plex on the same machine), E = 15 ms and U = 60 ms in both; then one more parallel
run at R = 20 ms with K = 6 (Plex answers 503 while more than 6 requests are in flight), at
`plex_parallel_writes=16` so that the limit must come down by itself (at 4 Plex never sees
more than 6). Every constant of the model is an assumption, not a measurement of a real PMS.

Each sync runs in a fresh child process (the plugin's own peak RSS; the emulators serve from
this one) exactly as Stash2Plex.py would run the task, with the real worker loop, queue, Plex
step and clients. Measured: wall time, Plex requests by kind, peak RSS, the outcomes; checked:
every matchable item in step afterwards, identical request counts within a pair, and with K
no scene failing beyond what the sequential run failed (planted: outside every library,
ambiguous). The last line printed is the R = 20 ms pair's `speedup N.Nx`.

Usage: python bench/throughput.py [--scenes 2000] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import BENCHMARKS_MD, machine_line, peak_rss_mb, run_child, write_section  # noqa: E402

EDIT_MS, UPLOAD_MS = 15.0, 60.0
STASH_LATENCY_S = 0.001
TARGETS = {20.0: 3.0, 1.0: 1.5}  # round trip (ms) → the speedup to reach
OVERLOAD_K = 6
OVERLOAD_PARALLEL = 16
OUTCOMES = ("synced", "unchanged", "waiting", "retried", "failed")
UPLOADS = ("POST /library/metadata/{rk}/posters", "POST /library/metadata/{rk}/arts")
CHECKS = ("GET /library/metadata/{rk}/posters", "GET /library/metadata/{rk}/arts")


def child(payload_file: str, data_dir: str) -> None:
    """In the fresh process: one `sync_all` as Stash2Plex.py runs it; prints JSON."""
    from plugin.app import run
    from worker.outcomes import RetryPolicy
    from worker.services import WorkerServices, default_plex_step

    # Waits and retries due a day later: a run slower than the 300 s wait would otherwise meet
    # its own waiting scenes (not scanned yet, cover pending) again, and the two runs of a
    # pair would not do the same work.
    later = RetryPolicy(base_delay_s=86_400.0, wait_delay_s=86_400.0)

    stdout, stderr = io.BytesIO(), io.BytesIO()
    started = time.monotonic()
    code = run(
        Path(payload_file).read_bytes(),
        plugin_dir=ROOT,
        stdout=stdout,
        stderr=stderr,
        env={"STASH2PLEX_DATA_DIR": data_dir},
        ensure_deps=lambda ctx: None,
        services=WorkerServices(step_factory=default_plex_step, policy=later),
    )
    wall = time.monotonic() - started
    result = json.loads(stdout.getvalue() or b"{}")
    print(
        json.dumps(
            {
                "code": code,
                "wall_s": wall,
                "rss_mb": peak_rss_mb(),
                "output": result.get("output") or {},
                "error": result.get("error"),
            }
        )
    )


def one_sync(
    scenes: int, round_trip_ms: float, parallel: int | None, k: int | None = None
) -> dict[str, Any]:
    """A first sync on fresh emulators; `parallel` None = the setting left at its default."""
    from demo.check import check_library, matchable_scenes
    from sandbox.generator import GeneratorOptions
    from sandbox.world import start_sandbox

    with tempfile.TemporaryDirectory(prefix="s2p-throughput-") as folder:
        data_dir = Path(folder) / "data"
        data_dir.mkdir()
        world = start_sandbox(
            GeneratorOptions(scenes=scenes), data_dir=data_dir, latency_s=STASH_LATENCY_S
        )
        try:
            world.plex.knobs.latency_s = 0.0  # Plex's time is the model's
            model = world.plex.service
            model.round_trip_s = round_trip_ms / 1000
            model.edit_s, model.upload_s = EDIT_MS / 1000, UPLOAD_MS / 1000
            model.max_in_flight = k
            settings: dict[str, object] = {"worker_time_slice": 86_400}  # one run, no slices
            if parallel is not None:
                settings["plex_parallel_writes"] = parallel
            world.configure_plugin(**settings)
            payload = Path(folder) / "stdin.json"
            payload.write_bytes(world.harness.stdin_payload({"mode": "sync_all"}))
            world.plex.log.clear()
            numbers = run_child(__file__, str(payload), str(data_dir))
            check = check_library(world.generated, world.plex.library)
            numbers.update(
                plex=dict(world.plex.log.counts()),
                in_step=check.ok,
                problems=check.problems[:5],
                matchable=len(matchable_scenes(world.generated)),
                peak_in_flight=model.peak_in_flight,
                overloaded=model.overloaded,
            )
        finally:
            world.stop()
    if numbers["code"] != 0:
        raise SystemExit(f"sync_all failed: {numbers['error']}")
    numbers.update(round_trip_ms=round_trip_ms, parallel=parallel or 4, k=k)
    return numbers


def _requests(run: dict[str, Any]) -> Counter[str]:
    # 503s the model answered are not requests the plugin needed: counted apart.
    return Counter({route: n for route, n in run["plex"].items() if route != "overloaded"})


def _outcomes(run: dict[str, Any]) -> dict[str, int]:
    return {k: int(run["output"].get(k, 0)) for k in OUTCOMES}


def _row(name: str, run: dict[str, Any]) -> str:
    plex = _requests(run)
    return (
        f"| {name} | {run['wall_s']:.1f} s | {sum(plex.values()):,} | "
        f"{plex['GET /library/metadata/{keys}']:,} | {plex['PUT /library/sections/{id}/all']:,} | "
        f"{sum(plex[r] for r in UPLOADS):,} | {sum(plex[r] for r in CHECKS):,} | "
        f"{run['overloaded']:,} | {run['peak_in_flight']} | {run['rss_mb']:.0f} MB | "
        f"{'yes' if run['in_step'] else 'NO'} |\n"
    )


Pair = tuple[dict[str, Any], dict[str, Any]]


def verdicts(pairs: list[Pair], k_run: dict[str, Any]) -> list[str]:
    """What failed of the issue's targets (empty: all met)."""
    failed = []
    for seq, par in pairs:
        speedup = seq["wall_s"] / par["wall_s"]
        target = TARGETS[seq["round_trip_ms"]]
        if speedup < target:
            failed.append(f"R={seq['round_trip_ms']:g} ms: speedup {speedup:.1f}x < {target}x")
        if _requests(seq) != _requests(par):
            failed.append(f"R={seq['round_trip_ms']:g} ms: request counts differ")
        if not (seq["in_step"] and par["in_step"]):
            failed.append(f"R={seq['round_trip_ms']:g} ms: items out of step")
    seq20 = pairs[0][0]
    if _outcomes(k_run) != _outcomes(seq20) or not k_run["in_step"]:
        failed.append(f"K={OVERLOAD_K}: outcomes {_outcomes(k_run)} != {_outcomes(seq20)}")
    if k_run["wall_s"] >= seq20["wall_s"]:
        failed.append(f"K={OVERLOAD_K}: not ahead of the sequential run")
    return failed


def render_section(pairs: list[Pair], k_run: dict[str, Any], scenes: int) -> str:
    seq20 = pairs[0][0]
    outcome = ", ".join(f"{k} {v:,}" for k, v in _outcomes(seq20).items())
    rows = ""
    for seq, par in pairs:
        r = f"{seq['round_trip_ms']:g} ms"
        rows += _row(f"R = {r}, one at a time", seq) + _row(f"R = {r}, default (4)", par)
    rows += _row(f"R = 20 ms, K = {OVERLOAD_K}, 16 at once", k_run)
    speedups = "; ".join(
        f"R = {seq['round_trip_ms']:g} ms: **{seq['wall_s'] / par['wall_s']:.1f}x** "
        f"(target {TARGETS[seq['round_trip_ms']]:.1f}x)"
        for seq, par in pairs
    )
    failed = verdicts(pairs, k_run)
    verdict = "targets met" if not failed else "TARGETS MISSED: " + "; ".join(failed)
    return (
        "## Throughput: parallel Plex writes (`bench/throughput.py`)\n\n"
        f"First Sync All of a generated library of {scenes:,} scenes "
        f"({seq20['matchable']:,} matchable), each run on fresh emulators and a fresh data "
        "folder, the plugin in a fresh process (peak RSS is its own). The Plex emulator runs "
        "its service-time model; **its constants are assumptions, not measurements of a real "
        f"Plex**: every request pays a round trip R, edits are served one at a time (E = "
        f"{EDIT_MS:g} ms each: Plex keeps its metadata in SQLite), image uploads at most 4 at a "
        f"time (U = {UPLOAD_MS:g} ms each: Plex stores the file and makes its variants), Stash "
        f"answers in {STASH_LATENCY_S * 1000:g} ms; waiting and retried scenes are due a day "
        f"later, so every run handles each scene once. The last run adds K = {OVERLOAD_K}: Plex "
        f"answers 503 while more than {OVERLOAD_K} requests are in flight, with "
        f"`plex_parallel_writes` at {OVERLOAD_PARALLEL} so the limit has to come down by "
        f"itself (at 4, Plex never sees more than {OVERLOAD_K}). Outcomes of every run: "
        f"{outcome}.\n\n"
        "| Run | Wall time | Plex requests | item fetches | edits | uploads | image checks | "
        "503s answered | most in flight | peak RSS | all in step |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        + rows
        + f"\nSpeedup of the default over one at a time: {speedups}. Request counts equal "
        "within each pair: "
        f"**{all(_requests(s) == _requests(p) for s, p in pairs)}**. With K = {OVERLOAD_K}: "
        f"outcomes as the sequential run's: **{_outcomes(k_run) == _outcomes(seq20)}**, every "
        f"item in step: **{k_run['in_step']}**, {k_run['wall_s']:.1f} s against "
        f"{seq20['wall_s']:.1f} s one at a time (the 503s' requests are sent again: they are "
        "the only extra requests).\n\n"
        f"Verdict: **{verdict}**. {machine_line()}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Parallel Plex writes benchmark")
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--child", nargs=2, metavar=("PAYLOAD", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    pairs = []
    for round_trip in TARGETS:
        seq = one_sync(args.scenes, round_trip, 1)
        par = one_sync(args.scenes, round_trip, None)
        for name, run in (("one at a time", seq), ("default (4)", par)):
            print(
                f"R={round_trip:g} ms {name}: {run['wall_s']:.1f} s, "
                f"{sum(_requests(run).values()):,} Plex requests {dict(_requests(run))}, "
                f"peak RSS {run['rss_mb']:.0f} MB, in step {run['in_step']}",
                flush=True,
            )
        pairs.append((seq, par))
    k_run = one_sync(args.scenes, 20.0, OVERLOAD_PARALLEL, k=OVERLOAD_K)
    print(
        f"R=20 ms K={OVERLOAD_K} ({OVERLOAD_PARALLEL} at once): {k_run['wall_s']:.1f} s, "
        f"{k_run['overloaded']:,} 503s, outcomes {_outcomes(k_run)}, in step {k_run['in_step']}"
    )
    section = render_section(pairs, k_run, args.scenes)
    print(section)
    for run in [r for pair in pairs for r in pair] + [k_run]:
        for problem in run["problems"]:
            print(f"difference: {problem}")
    if not args.no_write:
        write_section("throughput", section)
        print(f"updated {BENCHMARKS_MD}")
    failed = verdicts(pairs, k_run)
    for line in failed:
        print(f"missed: {line}")
    seq, par = pairs[0]
    print(f"speedup {seq['wall_s'] / par['wall_s']:.1f}x")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
