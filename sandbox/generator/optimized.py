"""Plant Plex's optimized versions: a second Media on some matched items, as PMS adds it.

Each copy is a `<Media proxyType="42" target="Optimized for Mobile">` whose Part sits in a
`Plex Versions/Optimized for Mobile` folder beside the original file, exactly as the real
listing `fixtures/plex/section-all-home-videos.xml` shows it. Some copies are also scanned by
Stash: a new scene whose only file is the copy, carrying metadata of its own (so a write of it
to the original item would be a visible wrong write).
"""

from __future__ import annotations

import dataclasses
import random

from sandbox.generator.options import GeneratorOptions
from sandbox.generator.truth import OPTIMIZED_COPY, SceneTruth, Truth
from sandbox.model import PlexLibrary, PlexMedia, PlexPart, StashFile, StashLibrary

__all__ = ["OPTIMIZED_FOLDER", "OPTIMIZED_TARGET", "optimized_path", "plant_optimized"]

OPTIMIZED_TARGET = "Optimized for Mobile"
OPTIMIZED_PROXY_TYPE = 42
OPTIMIZED_FOLDER = "Plex Versions"


def optimized_path(original: str, target: str = OPTIMIZED_TARGET) -> str:
    """Where PMS writes an optimized version of `original` (the fixture's layout)."""
    sep = "\\" if "\\" in original else "/"
    folder, _, name = original.rpartition(sep)
    stem = name.rsplit(".", 1)[0]
    return sep.join((folder, OPTIMIZED_FOLDER, target, f"{stem}.mp4"))


def plant_optimized(
    opts: GeneratorOptions,
    stash: StashLibrary,
    plex: PlexLibrary,
    truth: Truth,
    rng: random.Random,
) -> None:
    """Give the items of `opts.plex_optimized` scenes still to be pushed (one file, one item,
    metadata and a cover) an optimized copy; the first `opts.stash_scans_optimized` of them
    are scanned by Stash too."""
    eligible = sorted(
        sid
        for sid, st in truth.scenes.items()
        if len(st.targets) == 1
        and len(stash.scenes[sid].files) == 1
        and sid in truth.plex_empty
        and not {sid} & (truth.basename | truth.dup_basename | truth.no_metadata | truth.no_cover)
    )
    chosen = rng.sample(eligible, min(opts.plex_optimized, len(eligible)))
    next_scene = max(stash.scenes, default=0) + 1
    next_file = max((f.id for s in stash.scenes.values() for f in s.files), default=0) + 1
    for n, sid in enumerate(sorted(chosen)):
        (_, rk) = truth.scenes[sid].targets[0]
        item = plex.items[rk]
        original = item.media[0]
        plex_file = optimized_path(original.parts[0].file)
        size = max(1, original.parts[0].size // 7)  # the fixture's copy is about 1/7 the size
        part = PlexPart(plex.allocate_part_id(), plex_file, size, original.parts[0].duration)
        item.media.append(
            PlexMedia(
                plex.allocate_media_id(),
                [part],
                original.duration,
                "mp4",
                proxy_type=OPTIMIZED_PROXY_TYPE,
                target=OPTIMIZED_TARGET,
            )
        )
        truth.optimized_items.add(rk)
        if n >= opts.stash_scans_optimized:
            continue
        scene = stash.scenes[sid]
        copy = dataclasses.replace(
            scene,
            id=next_scene,
            files=[StashFile(next_file, optimized_path(scene.files[0].path), size)],
            title=f"{scene.title or 'Scene'} (Plex's optimized copy)",
            performer_ids=list(scene.performer_ids),
            tag_ids=list(scene.tag_ids),
            groups=list(scene.groups),
            urls=list(scene.urls),
        )
        stash.scenes[copy.id] = copy
        truth.scenes[copy.id] = SceneTruth(copy.id, reason=OPTIMIZED_COPY, plex_paths=[plex_file])
        truth.optimized_copies[copy.id] = rk
        next_scene += 1
        next_file += 1
