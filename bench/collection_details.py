"""Collections benchmark (issue 19): what a first Sync All adds per collection with details,
with one group of 1,000 scenes in shuffled `scene_index` order and one studio showing them all.

A generated library (one section, every scene matched to an empty Plex item) is given one
group (synopsis, front image) and one studio (details, image); the worker runs `sync_all` in
this process as Stash2Plex.py would. Per collection the Plex emulator's request log is split
by route: the type-18 edit, the poster upload, the sort (its GET and PUT), the moves, and the
reads. Then an unchanged re-sync. The numbers go into docs/benchmarks.md between this
benchmark's markers.

Usage: python bench/collection_details.py [--scenes 1000] [--no-write]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import machine_line, write_section  # noqa: E402

EDIT = "PUT /library/sections/{id}/all"
UPLOAD = "POST /library/metadata/{rk}/posters"
SORT_PUT = "PUT /library/collections/{rk}/prefs"
COLL_GET = "GET /library/collections/{rk}"
CHILDREN = "GET /library/collections/{rk}/children"
MOVE = "PUT /library/collections/{rk}/items/{id}/move"
POSTERS_GET = "GET /library/metadata/{rk}/posters"
LISTING = "GET /library/sections/{id}/all"


def _world(scenes: int, data_dir: Path) -> Any:
    from sandbox.generator import GeneratorOptions
    from sandbox.generator.options import FIRST_SYNC_ONLY, SectionSpec
    from sandbox.images import jpeg_bytes
    from sandbox.model import StashGroup, StashStudio
    from sandbox.world import start_sandbox

    options = GeneratorOptions(
        scenes=scenes,
        seed=19,
        **FIRST_SYNC_ONLY,  # type: ignore[arg-type]
        sections=(SectionSpec("Movies", ("Movies",)),),
    )
    world = start_sandbox(options, data_dir=data_dir, run_jobs_inline=False)
    lib, extras = world.generated.stash, world.stash.state.extras
    lib.studios.clear()
    lib.groups.clear()
    lib.studios[1] = StashStudio(1, "Bench Studio", image=jpeg_bytes("bench studio"))
    extras.set("studio", 1, details="Every scene of the benchmark.")
    lib.groups[1] = StashGroup(1, "Bench Saga")
    extras.set("group", 1, synopsis="A long series.", front_image=jpeg_bytes("bench group"))
    indexes = list(range(1, scenes + 1))
    random.Random(19).shuffle(indexes)
    for (_, scene), index in zip(sorted(lib.scenes.items()), indexes, strict=True):
        scene.studio_id, scene.groups = 1, [(1, index)]
    return world


def _collection_of(record: Any) -> str | None:
    """The collection ratingKey a request concerns (None for section-wide ones)."""
    if record.route == EDIT:
        return dict(record.query).get("id") if dict(record.query).get("type") == "18" else None
    if record.route in (UPLOAD, POSTERS_GET):
        return record.path.split("/")[3]
    if record.route.startswith(("GET /library/collections", "PUT /library/collections")):
        return record.path.split("/")[3]
    return None


def _sync_all(world: Any, data_dir: Path) -> tuple[float, list[Any]]:
    from sandbox.inprocess import run_in_process

    world.plex.log.clear()
    started = time.monotonic()
    run = run_in_process(world.harness.stdin_payload({"mode": "sync_all"}), data_dir)
    if not run.ok:
        raise SystemExit(f"sync_all failed: {run.error}\n{run.stderr[-2000:]}")
    return time.monotonic() - started, world.plex.log.records


def measure(scenes: int) -> dict[str, Any]:
    from sandbox.plex_emu.collections import find, members

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        world = _world(scenes, data_dir)
        try:
            first_s, first = _sync_all(world, data_dir)
            per: dict[str, Counter[str]] = {}
            for record in first:
                key = _collection_of(record)
                if key is not None:
                    per.setdefault(key, Counter())[record.route + " " + record.method] += 1
            listings = sum(
                1 for r in first if r.route == LISTING and dict(r.query).get("type") == "18"
            )
            group = find(world.plex, 1, "Bench Saga")
            studio = find(world.plex, 1, "Bench Studio")
            assert group is not None and studio is not None
            state = world.plex.state
            with state.library.lock:
                order = [i.rating_key for i in members(state, group)]
            targets = {
                sid: world.generated.truth.scenes[sid].targets[0][1]
                for sid in world.generated.stash.scenes
            }
            by_index = sorted(world.generated.stash.scenes.values(), key=lambda s: s.groups[0][1])
            in_order = order == [targets[s.id] for s in by_index]
            again_s, again = _sync_all(world, data_dir)
            writes_again = sum(1 for r in again if r.method in ("PUT", "POST"))
            collection_reads_again = sum(
                1
                for r in again
                if _collection_of(r) is not None
                or (r.route == LISTING and dict(r.query).get("type") == "18")
            )
        finally:
            world.stop()
    rows = []
    for name, coll in (("group", group), ("studio", studio)):
        counts = per.get(str(coll.rating_key), Counter())
        rows.append(
            {
                "collection": name,
                "items": len(order) if name == "group" else scenes,
                "edits": counts[EDIT + " PUT"],
                "uploads": counts[UPLOAD + " POST"],
                "sort_put": counts[SORT_PUT + " PUT"],
                "moves": counts[MOVE + " PUT"],
                # The sort's GET (plexapi `preferences()`) is counted with the sort, not here.
                "reads": counts[COLL_GET + " GET"]
                + counts[CHILDREN + " GET"]
                + counts[POSTERS_GET + " GET"]
                - (1 if counts[SORT_PUT + " PUT"] else 0),
            }
        )
    return {
        "scenes": scenes,
        "first_s": first_s,
        "again_s": again_s,
        "rows": rows,
        "listings": listings,
        "in_order": in_order,
        "writes_again": writes_again,
        "collection_reads_again": collection_reads_again,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        "## Collections (`bench/collection_details.py`)",
        "",
        f"First `sync_all` of {result['scenes']:,} scenes in one section, all in one group (its "
        "`scene_index` shuffled against Plex's order) and one studio, both with an image and "
        "a text; the worker in this process, batches of 200. Requests per collection, from the "
        "Plex emulator's log:",
        "",
        "| Collection | items | type-18 edits | uploads | sort: GET + PUT | moves | other reads "
        "(collection before/after the edit, children pages) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        sort = f"1 + {row['sort_put']}" if row["sort_put"] else "0"
        lines.append(
            f"| {row['collection']} | {row['items']:,} | {row['edits']} | {row['uploads']} | "
            f"{sort} | {row['moves']:,} | {row['reads']} |"
        )
    group = result["rows"][0]
    lines += [
        "",
        f"Budget per collection with details: at most 1 edit, 1 upload, 2 sort requests and "
        f"items - 1 = {group['items'] - 1:,} moves; the moves are the items outside the "
        "longest run already in order (`plex.collection_plan.plan_moves`), sent once at the end "
        "of the run (batches only learn the members); studios keep Plex's order. Section "
        f"listings (`type=18`, ownership before and after the tag push): {result['listings']}. "
        f"Group in `scene_index` order afterwards: **{result['in_order']}**. "
        f"First sync {result['first_s']:.1f} s.",
        "",
        f"Unchanged re-sync: {result['writes_again']} Plex writes, "
        f"{result['collection_reads_again']} collection requests ({result['again_s']:.1f} s).",
        "",
        machine_line(),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.scenes)
    text = report(result)
    print(text)
    if not args.no_write:
        write_section("collections", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
