"""The demo's starting point: a generated library as an earlier sync left it, both emulators up.

The generator plants every matching case and every item state; the data folder is seeded
with the sync state of an earlier sync (`sandbox.seed`), so reconciliation finds gaps of
every kind: stale syncs (edited in Stash since), wiped items (an agent refresh emptied them),
never-synced empty items (scanned since) and files Plex does not have (not scanned yet,
outside every library).

One state is left out by default: a matched item carrying someone else's metadata (a Plex
agent's) with no sync record (the generator's `foreign`). An earlier sync would have written
those items, and reconciliation has no gap type for them (SPEC §3: `missing` needs the file
absent from Plex, `empty_metadata` an item without metadata), so only a sync or an edit in
Stash brings them in step. `foreign=True` plants the generator's default share anyway, to
show exactly that.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sandbox.generator import GeneratorOptions, generate
from sandbox.seed import seed_sync_state
from sandbox.world import Sandbox, start_sandbox

__all__ = ["demo_options", "start_demo_world"]


def demo_options(scenes: int, seed: int, *, foreign: bool = False) -> GeneratorOptions:
    """Generator defaults; unless `foreign`, the never-synced agent items become synced ones.

    The generator hands out synced, stale and wiped in that order along a pool of matched
    scenes that does not depend on the fractions, so raising `frac_synced` by exactly the
    number of foreign scenes with metadata leaves none of those foreign; every other case
    keeps its scenes, stale and wiped their counts (drawn further along the same order).
    Foreign scenes without metadata stay: they are never pushed, so never synced.
    """
    options = GeneratorOptions(scenes=scenes, seed=seed)
    if foreign or scenes <= 0:
        return options
    truth = generate(options).truth
    synced = len(truth.synced) + len(truth.foreign - truth.no_metadata)
    return dataclasses.replace(options, frac_synced=min(1.0, synced / scenes))


def start_demo_world(options: GeneratorOptions, data_dir: Path, latency_s: float) -> Sandbox:
    """Start the sandbox on `options` with `data_dir` seeded as an earlier sync left it."""
    world = start_sandbox(options, data_dir=data_dir, latency_s=latency_s)
    try:
        seed_sync_state(world.generated, data_dir)
    except BaseException:
        world.stop()
        raise
    return world
