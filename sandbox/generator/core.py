"""The generator's entry point: options in, consistent Stash and Plex libraries plus truth out.

Each stage draws from its own `random.Random` derived from the seed, so changing one stage's
draws never reshuffles the others; the global `random` is never used.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass

from sandbox.generator.cases import assign_cases
from sandbox.generator.layout import layout_files
from sandbox.generator.optimized import plant_optimized
from sandbox.generator.options import GeneratorOptions
from sandbox.generator.plex_side import build_plex
from sandbox.generator.stash_side import build_stash
from sandbox.generator.truth import Truth
from sandbox.model import PlexLibrary, StashLibrary


@dataclass
class GeneratedLibrary:
    """Both emulators' data and the answer key. `options` is the resolved copy used."""

    stash: StashLibrary
    plex: PlexLibrary
    options: GeneratorOptions
    truth: Truth


def generate(options: GeneratorOptions | None = None) -> GeneratedLibrary:
    """Build a library; the same options always give an identical result."""
    opts = (options or GeneratorOptions()).resolved()
    # Hundreds of thousands of fresh containers trigger repeated full collections that find
    # nothing to free (no cycles are made); pausing the collector halves the run time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(opts)
    finally:
        if was_enabled:
            gc.enable()


def _generate(opts: GeneratorOptions) -> GeneratedLibrary:
    seed = opts.seed

    def stream(name: str) -> random.Random:
        return random.Random(f"stash2plex-generator:{seed}:{name}")

    folders: list[str] = []
    counts: dict[str, int] = {}
    for spec in opts.sections:
        for folder in spec.folders:
            if folder not in counts:
                folders.append(folder)
            counts[folder] = counts.get(folder, 0) + 1
    shared = {folder for folder, count in counts.items() if count > 1}
    plan = assign_cases(opts, stream("cases"), basename_possible=len(shared) < len(folders))
    stash = build_stash(opts, plan, stream("stash"))
    files = layout_files(opts, plan, stash, folders, shared, stream("layout"))
    plex, truth = build_plex(opts, plan, stash, files, stream("plex"))
    if opts.plex_optimized:
        plant_optimized(opts, stash, plex, truth, stream("optimized"))
    return GeneratedLibrary(stash=stash, plex=plex, options=opts, truth=truth)
