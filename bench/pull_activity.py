"""Plex activity pull benchmark (issue 18): what a pull costs in requests.

Generates a library (every scene matched), serves it with both emulators, runs Sync All in
this process, then Pull Plex Activity three ways: nothing new (the cost every Process Queue
run pays while a pull setting is on), after N new views spread over the synced items, and
nothing new again. Counts the Plex requests by route and the Stash writes, checks them
against the issue's budget (nothing new: 1 history request + 1 in-progress and 1 rated
listing per synced section; 1 history request per 1,000 new views; Stash writes only for the
scenes with new plays) and records them in docs/benchmarks.md between this benchmark's
markers.

Usage: python bench/pull_activity.py [--scenes 200] [--views 5000] [--no-write]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import machine_line, write_section  # noqa: E402

SECTION = "pull_activity"
HISTORY = "GET /status/sessions/history/all"
LISTING = "GET /library/sections/{id}/all"
PLAY_WRITES = ("graphql:sceneAddPlay", "graphql:sceneSaveActivity", "graphql:sceneUpdate")


def measure(scenes: int, views: int) -> dict[str, object]:
    from sandbox.generator import GeneratorOptions
    from sandbox.generator.options import MATCHED_ONLY
    from sandbox.inprocess import run_in_process
    from sandbox.world import start_sandbox

    data = Path(tempfile.mkdtemp(prefix="s2p-bench-pull-"))
    options = GeneratorOptions(scenes=scenes, seed=18, **MATCHED_ONLY)  # type: ignore[arg-type]
    world = start_sandbox(options, data_dir=data, run_jobs_inline=False)
    try:
        world.configure_plugin(skip_poster=True, skip_background=True, pull_plays=True)

        def run(mode: str) -> dict[str, object]:
            done = run_in_process(world.harness.stdin_payload({"mode": mode}), data)
            assert done.exit_code == 0, done.messages()[-5:]
            return done.output  # type: ignore[return-value]

        run("sync_all")
        truth = world.generated.truth
        keys = sorted({rk for s in truth.scenes.values() for _, rk in s.targets})
        sections = len({sec for s in truth.scenes.values() for sec, _ in s.targets})
        rows = []
        t0 = int(time.time()) - 10 * views - 100
        for label, new in (("nothing new", 0), (f"{views:,} new views", views), ("again", 0)):
            for n in range(new):
                world.plex.activity.watch_once(keys[n % len(keys)], at=t0 + 10 * n)
            world.plex.log.clear()
            world.stash.log.clear()
            started = time.perf_counter()
            output = run("pull_activity")
            wall = time.perf_counter() - started
            counts = world.plex.log.counts()
            stash = world.stash.log.counts()
            rows.append(
                {
                    "label": label,
                    "new_views": new,
                    "history": counts[HISTORY],
                    "listings": counts[LISTING],
                    "plex_total": sum(counts.values()),
                    "stash_writes": sum(stash[w] for w in PLAY_WRITES),
                    "plays_added": output["pull"]["plays_added"],  # type: ignore[index]
                    "wall_s": wall,
                }
            )
        return {"scenes": scenes, "items": len(keys), "sections": sections, "rows": rows}
    finally:
        world.stop()


def check(numbers: dict[str, object]) -> list[str]:
    problems = []
    sections = int(numbers["sections"])  # type: ignore[call-overload]
    for row in numbers["rows"]:  # type: ignore[attr-defined]
        history_budget = max(1, math.ceil(row["new_views"] / 1000))
        if row["history"] > history_budget:
            problems.append(f"{row['label']}: {row['history']} history requests")
        if row["listings"] > sections:
            problems.append(f"{row['label']}: {row['listings']} listings")
        if row["new_views"] == 0 and row["stash_writes"]:
            problems.append(f"{row['label']}: {row['stash_writes']} Stash writes")
        if row["plays_added"] != row["new_views"]:
            problems.append(f"{row['label']}: {row['plays_added']} plays added")
    return problems


def render_section(numbers: dict[str, object]) -> str:
    lines = [
        "## Plex activity pull (issue 18)",
        "",
        f"{numbers['scenes']:,} generated scenes ({numbers['items']:,} Plex items in "
        f"{numbers['sections']} sections), `pull_plays` on (one in-progress listing per synced "
        "section; `pull_ratings` adds one rated listing per section), in-process against the "
        "emulators (bench/pull_activity.py).",
        "",
        "| Pull | history requests | listings | Plex requests in all | Stash play writes "
        "| plays added | wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in numbers["rows"]:  # type: ignore[attr-defined]
        lines.append(
            f"| {row['label']} | {row['history']} | {row['listings']} | {row['plex_total']} "
            f"| {row['stash_writes']} | {row['plays_added']:,} | {row['wall_s']:.2f} s |"
        )
    lines += [
        "",
        "Budget: nothing new costs one history request plus the listings; one history request "
        "per 1,000 new views; Stash writes only for scenes with new plays (one `sceneAddPlay` "
        "per scene, whatever its number of new views). The Plex total is every request the "
        "run sent: the pull's, and nothing else when no scene was queued.",
        "",
        machine_line(),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=200)
    parser.add_argument("--views", type=int, default=5000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    numbers = measure(args.scenes, args.views)
    text = render_section(numbers)
    print(text)
    problems = check(numbers)
    if not args.no_write:
        write_section(SECTION, text)
    if problems:
        raise SystemExit("over budget: " + "; ".join(problems))


if __name__ == "__main__":
    main()
