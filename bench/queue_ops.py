"""Queue benchmark: enqueue throughput, hook latency with the real inbox and wake-up rule,
and `get_queued_scene_ids()` on 100,000 queued scenes.

1. Enqueues: 10,000 inbox records, one transaction each (what hooks write), moved into the
   work queue by the worker's drain; and 10,000 single `WorkQueue.add` calls. Budget: each
   10,000 in ≤ 5 s. The cost a hook pays to open the inbox, record and close is shown too.
2. Hooks: the packaged plugin installed in a temporary plugins folder, a Stash emulator on
   loopback that accepts our task, a settings snapshot saying Plex is set up; hook processes
   started one after another exactly as Stash starts them (bench/hook_latency.py's method:
   fresh interpreter, wait4 figures). "Warm": the mix of hook_latency (one-field edit,
   500-scene bulk, scan-created scene, delete) while a requested worker waits in Stash's
   queue (the marker spares the GraphQL calls). "Cold": the marker gone and no job of ours
   queued, so the hook asks jobQueue and sends runPluginTask. Budget: median ≤ 80 ms.
3. `sync_queue.queuedb.get_queued_scene_ids(data_dir)` with 100,000 scenes queued: median of
   5 calls, budget ≤ 200 ms.

Writes its section of docs/benchmarks.md between `<!-- BEGIN queue -->` and
`<!-- END queue -->`. POSIX only (os.wait4). Usage: python bench/queue_ops.py [--hooks 100]
[--no-write]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import BENCHMARKS_MD, machine_line, write_section  # noqa: E402
from bench.hook_latency import (  # noqa: E402
    _HOOK_CONTEXTS,
    Spawner,
    _environment,
    install_plugin,
    run_hook,
)
from sandbox.harness import go_json  # noqa: E402

SECTION = "queue"
ENQUEUES = 10_000
BUDGET_ENQUEUE_S = 5.0
BUDGET_HOOK_MEDIAN_MS = 80.0
QUEUED_FOR_LOOKUP = 100_000
BUDGET_LOOKUP_MS = 200.0
TASK_NAME = "Stash2Plex: Process Queue"


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure_enqueues(n: int = ENQUEUES) -> dict[str, float]:
    from sync_queue.inbox import Inbox
    from sync_queue.workqueue import WorkQueue

    with tempfile.TemporaryDirectory(prefix="s2p-bench-q-") as tmp:
        data = Path(tmp)
        inbox = Inbox(data)
        record = _timed(
            lambda: [inbox.record("scene", [i], "Scene.Update.Post") for i in range(1, n + 1)]
        )
        queue = WorkQueue(data)
        drain = _timed(
            lambda: inbox.drain_due(None, n, lambda rows: queue.add_many(r.ref_id for r in rows))
        )
        assert len(queue.get_queued_scene_ids()) == n and inbox.pending_count() == 0
        queue.clear()
        adds = _timed(lambda: [queue.add(i) for i in range(1, n + 1)])
        queue.close()
        inbox.close()
        samples = []
        for i in range(200):  # one hook process: open, one record, close (the only user)
            started = time.perf_counter()
            with Inbox(data) as box:
                box.record("scene", [i + 1], "Scene.Update.Post")
            samples.append(time.perf_counter() - started)
    return {
        "n": n,
        "inbox_records_s": record,
        "drain_s": drain,
        "queue_adds_s": adds,
        "hook_open_record_close_ms": statistics.median(samples) * 1000,
    }


def measure_lookup(n: int = QUEUED_FOR_LOOKUP) -> dict[str, float]:
    from sync_queue.queuedb import get_queued_scene_ids
    from sync_queue.workqueue import WorkQueue

    with tempfile.TemporaryDirectory(prefix="s2p-bench-l-") as tmp:
        with WorkQueue(tmp) as queue:
            for start in range(1, n + 1, 5000):
                queue.add_many(range(start, min(start + 5000, n + 1)))
        times = []
        for _ in range(5):
            started = time.perf_counter()
            ids = get_queued_scene_ids(tmp)
            times.append(time.perf_counter() - started)
            assert len(ids) == n
    return {"n": n, "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}


class _AcceptingRunner:
    """Stash accepts our task and keeps it waiting (the benchmark never runs it)."""

    plugin_id = "Stash2Plex"

    def task_names(self) -> list[str]:
        return [TASK_NAME]

    def run_task(self, task_name: str, args_map: dict, progress: Callable) -> None:
        return None

    def fire_hooks(self, *args: object) -> None:
        return None

    def cancel_running(self) -> None:
        return None


def _payload(plugin_dir: Path, port: int, context: dict[str, object]) -> bytes:
    connection = {
        "Scheme": "http",
        "Host": "0.0.0.0",
        "Port": port,
        "SessionCookie": {"Name": "session", "Value": "bench-cookie-value", "MaxAge": 3600},
        "Dir": str(plugin_dir.parent.parent),
        "PluginDir": str(plugin_dir),
    }
    return go_json({"server_connection": connection, "args": {"hookContext": context}})


def measure_hooks(runs: int, cold_runs: int = 20, python: str = sys.executable) -> dict[str, float]:
    from runtime.wakeup import MARKER_FILE
    from sandbox.generator import generate
    from sandbox.generator.options import GeneratorOptions
    from sandbox.stash_emu import StashEmulator
    from validation.snapshot import write_snapshot

    python = shutil.which(python) or python
    stash = StashEmulator(library=generate(GeneratorOptions(scenes=20)).stash).start()
    stash.plugin_runner = _AcceptingRunner()  # type: ignore[assignment]
    stash.run_jobs_inline = False
    try:
        with tempfile.TemporaryDirectory(prefix="s2p-bench-h-") as tmp:
            plugin_dir = install_plugin(Path(tmp))
            data_dir = plugin_dir / "data"
            data_dir.mkdir()
            write_snapshot(data_dir, {}, configured=True)
            env = _environment(plugin_dir)
            payloads = [_payload(plugin_dir, stash.port, c) for c in _HOOK_CONTEXTS]
            spawner = Spawner(python, Path(tmp))
            try:
                run_hook(spawner, python, plugin_dir, payloads[0], env)  # bytecode cache
                warm = [
                    run_hook(spawner, python, plugin_dir, payloads[i % len(payloads)], env)
                    for i in range(runs)
                ]
                cold = []
                for _ in range(cold_runs):
                    (data_dir / MARKER_FILE).unlink(missing_ok=True)
                    for job in stash.jobs:
                        stash.state.jobs.stop(job.id)  # what stopJob does
                    cold.append(run_hook(spawner, python, plugin_dir, payloads[0], env))
            finally:
                spawner.close()
        requested = sum(1 for job in stash.jobs if job.task_name == TASK_NAME)
    finally:
        stash.stop()
    walls = sorted(s.wall_ms for s in warm)
    return {
        "runs": runs,
        "median_ms": statistics.median(walls),
        "p95_ms": walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))],
        "peak_rss_mb": max(s.rss_mb for s in warm + cold),
        "cold_runs": cold_runs,
        "cold_median_ms": statistics.median(s.wall_ms for s in cold),
        "jobs_requested": requested,
    }


def verdicts(enq: dict[str, float], hooks: dict[str, float], lookup: dict[str, float]) -> dict:
    return {
        "enqueue": enq["inbox_records_s"] + enq["drain_s"] <= BUDGET_ENQUEUE_S
        and enq["queue_adds_s"] <= BUDGET_ENQUEUE_S,
        "hook": hooks["median_ms"] <= BUDGET_HOOK_MEDIAN_MS,
        "lookup": lookup["median_ms"] <= BUDGET_LOOKUP_MS,
    }


def render_section(enq: dict[str, float], hooks: dict[str, float], lookup: dict[str, float]) -> str:
    ok = verdicts(enq, hooks, lookup)

    def mark(key: str) -> str:
        return "ok" if ok[key] else "**OVER**"

    n = int(enq["n"])
    return (
        "## Queue (`bench/queue_ops.py`)\n\n"
        "| Measure | Value | Budget |\n|---|---|---|\n"
        f"| {n:,} inbox records, one transaction each (one connection) | "
        f"{enq['inbox_records_s']:.2f} s | |\n"
        f"| … moved into the work queue by the worker's drain | {enq['drain_s']:.2f} s | "
        f"≤ {BUDGET_ENQUEUE_S:.0f} s with the records ({mark('enqueue')}) |\n"
        f"| {n:,} `WorkQueue.add`, one transaction each | {enq['queue_adds_s']:.2f} s | "
        f"≤ {BUDGET_ENQUEUE_S:.0f} s ({mark('enqueue')}) |\n"
        f"| one hook's inbox open + record + close (median of 200) | "
        f"{enq['hook_open_record_close_ms']:.1f} ms | |\n"
        f"| hook process, warm (marker fresh), median of {int(hooks['runs'])} | "
        f"{hooks['median_ms']:.1f} ms | ≤ {BUDGET_HOOK_MEDIAN_MS:.0f} ms ({mark('hook')}) |\n"
        f"| hook process, warm, p95 | {hooks['p95_ms']:.1f} ms | |\n"
        f"| hook process, cold (jobQueue + runPluginTask), median of "
        f"{int(hooks['cold_runs'])} | {hooks['cold_median_ms']:.1f} ms | |\n"
        f"| hook peak RSS | {hooks['peak_rss_mb']:.1f} MB | ≤ 30 MB |\n"
        f"| `get_queued_scene_ids()` with {int(lookup['n']):,} queued, median of 5 | "
        f"{lookup['median_ms']:.1f} ms | ≤ {BUDGET_LOOKUP_MS:.0f} ms ({mark('lookup')}) |\n\n"
        f"Warm hooks: the hook_latency mix with Stash (emulator) answering and a worker "
        f"request pending; {int(hooks['jobs_requested'])} Process Queue jobs were requested "
        f"for {int(hooks['runs']) + int(hooks['cold_runs']) + 1} hooks (one per cold hook, "
        f"one for the first warm one). {machine_line()}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Queue and hook benchmark")
    parser.add_argument("--hooks", type=int, default=100)
    parser.add_argument("--enqueues", type=int, default=ENQUEUES)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)
    enq = measure_enqueues(args.enqueues)
    lookup = measure_lookup()
    hooks = measure_hooks(args.hooks)
    section = render_section(enq, hooks, lookup)
    print(section)
    if not args.no_write:
        write_section("queue", section)
        print(f"updated {BENCHMARKS_MD}")
    return 0 if all(verdicts(enq, hooks, lookup).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
