"""Path index benchmark: a full build of the Plex path index for a 50,000-scene library.

The parent generates the library (sandbox generator) and serves it with the Plex emulator at
2 ms latency per request; a fresh child process (so neither the generator's ~300 MB nor the
emulator count) prepares plexapi's environment, builds the index with `PathIndex.refresh`,
then runs one incremental refresh, and reports requests, wall time and its peak RSS (Linux:
`VmHWM`, since `ru_maxrss` survives fork+exec; elsewhere `ru_maxrss`; the RSS after imports
is shown as a baseline).
The parent checks the index against the library, compares with the budgets (SPEC §2.4 /
plex.md §6: ≤ 30 requests, ≤ 15 s, ≤ 300 MB) and records the numbers in docs/benchmarks.md
between this benchmark's markers. POSIX only (`resource`).

Usage: python bench/index_build.py [--scenes 50000] [--latency-ms 2] [--no-write]
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

from bench._report import BENCHMARKS_MD, machine_line, peak_rss_mb, run_child, write_section  # noqa: E402

BUDGET_REQUESTS = 30
BUDGET_WALL_S = 15.0
BUDGET_RSS_MB = 300.0
TOKEN = "bench-plex-token"


def child(url: str, data_dir: str) -> None:
    """Runs in the fresh process: build, then refresh incrementally; prints JSON."""
    from types import SimpleNamespace

    from plex.opener import open_plex

    client = open_plex(SimpleNamespace(plex_url=url, plex_token=TOKEN), data_dir)
    from plex.index import PathIndex

    baseline = peak_rss_mb()
    index = PathIndex(data_dir)
    started = time.perf_counter()
    sections = client.sections()
    report = index.refresh(client, sections)
    wall = time.perf_counter() - started
    full_requests = client.requests_made.total
    peak = peak_rss_mb()
    started = time.perf_counter()
    again = index.refresh(client)
    incremental_wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "requests": full_requests,
                "listing_requests": report.requests,
                "wall_s": wall,
                "items": report.items_stored,
                "rss_mb": peak,
                "baseline_mb": baseline,
                "incremental_requests": client.requests_made.total - full_requests,
                "incremental_ms": incremental_wall * 1000,
                "incremental_full": again.full_sections,
            }
        )
    )


def measure(scenes: int, latency_ms: float) -> dict[str, object]:
    from plex.index import PathIndex
    from sandbox.generator import GeneratorOptions, generate
    from sandbox.plex_emu import PlexEmulator

    lib = generate(GeneratorOptions(scenes=scenes))
    items = len(lib.plex.items)
    parts = {
        (item.section_id, item.rating_key, part.file)
        for item in lib.plex.items.values()
        for media in item.media
        for part in media.parts
    }
    clock_now = lib.options.now.timestamp() + 3600
    with (
        PlexEmulator(library=lib.plex, token=TOKEN, clock=lambda: clock_now) as emu,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        emu.knobs.latency_s = latency_ms / 1000
        numbers = run_child(__file__, emu.url, data_dir)
        numbers["server_requests"] = len(emu.log)
        with PathIndex(data_dir) as index:
            got = {(e.section_id, e.rating_key, e.file) for e in index.entries()}
        numbers["index_correct"] = got == parts
    numbers.update(scenes=scenes, plex_items=items, latency_ms=latency_ms)
    return numbers


def within_budget(n: dict[str, object]) -> bool:
    return (
        bool(n["index_correct"])
        and int(n["requests"]) <= BUDGET_REQUESTS  # type: ignore[call-overload]
        and float(n["wall_s"]) <= BUDGET_WALL_S  # type: ignore[arg-type]
        and float(n["rss_mb"]) <= BUDGET_RSS_MB  # type: ignore[arg-type]
    )


def render_section(n: dict[str, object]) -> str:
    verdict = "within budget" if within_budget(n) else "OVER BUDGET"
    return (
        "## Path index build (`bench/index_build.py`)\n\n"
        f"Full build of the Plex path index for a generated library of {n['scenes']:,} scenes "
        f"({n['plex_items']:,} Plex items in 2 sections) served by the Plex emulator at "
        f"{n['latency_ms']:g} ms latency per request, in a fresh process (the generator and the "
        "emulator run in the parent), then one incremental refresh with nothing changed. "
        f"Index equal to the library's parts: **{n['index_correct']}**.\n\n"
        "| Measure | Value | Budget |\n|---|---|---|\n"
        f"| requests (sections + listing pages) | {n['requests']} "
        f"(1 + {n['listing_requests']}) | ≤ {BUDGET_REQUESTS} |\n"
        f"| wall time | {float(n['wall_s']):.2f} s | ≤ {BUDGET_WALL_S:.0f} s |\n"  # type: ignore[arg-type]
        f"| peak RSS of the process | {float(n['rss_mb']):.0f} MB | ≤ {BUDGET_RSS_MB:.0f} MB |\n"  # type: ignore[arg-type]
        f"| RSS after imports (baseline) | {float(n['baseline_mb']):.0f} MB | |\n"  # type: ignore[arg-type]
        f"| incremental refresh, nothing changed | {n['incremental_requests']} requests, "
        f"{float(n['incremental_ms']):.0f} ms | |\n\n"  # type: ignore[arg-type]
        f"Verdict: **{verdict}**. {machine_line()}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plex path index build benchmark")
    parser.add_argument("--scenes", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=2.0)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--child", nargs=2, metavar=("URL", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    numbers = measure(args.scenes, args.latency_ms)
    section = render_section(numbers)
    print(section)
    if not args.no_write:
        write_section("index_build", section)
        print(f"updated {BENCHMARKS_MD}")
    return 0 if within_budget(numbers) else 1


if __name__ == "__main__":
    sys.exit(main())
