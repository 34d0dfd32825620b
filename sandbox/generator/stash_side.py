"""Stash-side content: studios, performers, tags, groups and scene metadata (files come later).

Scenes get their planted traits (no metadata, no cover, PNG cover, recent edit, heavy lists,
long or control-character details) from the CasePlan; everything else is seeded variety.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sandbox.generator import vocab
from sandbox.generator.cases import CasePlan
from sandbox.generator.draw import between, pick
from sandbox.generator.options import GeneratorOptions, parse_tz
from sandbox.images import jpeg_bytes, png_bytes
from sandbox.model import (
    StashGroup,
    StashLibrary,
    StashPerformer,
    StashScene,
    StashStudio,
    StashTag,
)

HEAVY_TAGS = 220  # over the 200-genre limit
HEAVY_PERFORMERS = 205  # over the 200-actor limit
_DAY = 86_400


def build_stash(opts: GeneratorOptions, plan: CasePlan, rng: random.Random) -> StashLibrary:
    """Entities and scenes (with empty file lists) for a resolved `opts`."""
    tz = parse_tz(opts.tz_offset)
    now_s = int(opts.now.timestamp())
    lib = StashLibrary()
    n = opts.scenes

    def stamp(seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, tz)

    def entity_time() -> datetime:
        return stamp(now_s - between(rng, _DAY, 60 * _DAY))

    seen: set[str] = set()
    for sid in range(1, max(12, n // 40) + 1):
        name = vocab.unique(
            f"{vocab.words(rng, 1, 2).title()} {pick(rng, vocab.STUDIO_SUFFIXES)}", seen
        )
        parent = between(rng, 1, sid - 1) if sid > 3 and rng.random() < 0.3 else None
        image = jpeg_bytes(f"studio-{sid}") if rng.random() < 0.5 else None
        lib.studios[sid] = StashStudio(sid, name, parent, image, entity_time())
    seen = set()
    for pid in range(1, max(HEAVY_PERFORMERS + 15, n // 8) + 1):
        name = vocab.unique(f"{pick(rng, vocab.FIRST_NAMES)} {pick(rng, vocab.LAST_NAMES)}", seen)
        roll = rng.random()
        image = jpeg_bytes(f"performer-{pid}") if roll < 0.5 else None
        image = png_bytes(f"performer-{pid}") if 0.5 <= roll < 0.6 else image
        lib.performers[pid] = StashPerformer(pid, name, image, entity_time())
    seen = set()
    names = [vocab.unique(name, seen) for name in vocab.SPECIAL_TAGS]
    while len(names) < max(HEAVY_TAGS + 20, n // 100):
        names.append(vocab.unique(vocab.words(rng, 1, 2).title(), seen))
    for tid, name in enumerate(names, start=1):
        lib.tags[tid] = StashTag(tid, name, entity_time())
    seen = set()
    for gid in range(1, max(8, n // 150) + 1):
        name = vocab.unique(f"{vocab.words(rng, 1, 3).title()} Vol. {between(rng, 1, 9)}", seen)
        lib.groups[gid] = StashGroup(gid, name, entity_time())

    for scene_id in range(1, n + 1):
        created_s, updated_s = _times(rng, now_s, scene_id in plan.recent)
        scene = StashScene(
            id=scene_id, files=[], created_at=stamp(created_s), updated_at=stamp(updated_s)
        )
        if scene_id in plan.no_metadata:
            _fill_bare(scene, rng)
        else:
            _fill_meaningful(scene, lib, plan, rng)
        if scene_id in plan.png_cover:
            scene.cover = png_bytes(scene_id)
        elif scene_id not in plan.no_cover:
            scene.cover = jpeg_bytes(scene_id)
        lib.scenes[scene_id] = scene
    return lib


def _times(rng: random.Random, now_s: int, recent: bool) -> tuple[int, int]:
    """(created, updated) epoch seconds; at least 2 s apart so a stale sync fits between."""
    if recent:
        if rng.random() < 0.3:
            created = now_s - between(rng, 2 * 3600, 23 * 3600)
        else:
            created = now_s - between(rng, 25 * 3600, 30 * _DAY)
        updated = now_s - between(rng, 60, min(23 * 3600, now_s - created - 2))
        return created, updated
    created = now_s - between(rng, 26 * 3600, 30 * _DAY)
    latest = now_s - 24 * 3600 - 1
    updated = between(rng, created + 2, latest)
    return created, updated


def _fill_bare(scene: StashScene, rng: random.Random) -> None:
    """Title and/or rating only: has_meaningful_metadata is false."""
    scene.title = vocab.title(rng) if rng.random() < 0.7 else None
    scene.rating100 = between(rng, 1, 100) if rng.random() < 0.5 else None
    scene.organized = rng.random() < 0.2


def _fill_meaningful(
    scene: StashScene, lib: StashLibrary, plan: CasePlan, rng: random.Random
) -> None:
    roll = rng.random()
    scene.title = vocab.title(rng) if roll < 0.88 else (None if roll < 0.94 else "")
    if rng.random() < 0.8:
        scene.studio_id = between(rng, 1, len(lib.studios))
    count = rng.choices([0, 1, 2, 3, 5], weights=[15, 35, 25, 15, 10])[0]
    scene.performer_ids = rng.sample(range(1, len(lib.performers) + 1), count)
    scene.tag_ids = rng.sample(range(1, len(lib.tags) + 1), between(rng, 0, 8))
    if rng.random() < 0.2:
        special = between(rng, 1, len(vocab.SPECIAL_TAGS))
        if special not in scene.tag_ids:
            scene.tag_ids.append(special)
    if scene.id in plan.heavy:
        scene.performer_ids = rng.sample(range(1, len(lib.performers) + 1), HEAVY_PERFORMERS)
        scene.tag_ids = rng.sample(range(1, len(lib.tags) + 1), HEAVY_TAGS)
    if scene.id in plan.long_details:
        scene.details = vocab.details(rng, long=True)
    elif scene.id in plan.control_chars:
        scene.details = vocab.details(rng) + "\nbell\x07 nul\x00 escape\x1b end"
    elif rng.random() < 0.7:
        scene.details = vocab.details(rng)
    if rng.random() < 0.85:
        scene.date = _date(rng)
    if not (scene.studio_id or scene.performer_ids or scene.tag_ids or scene.details):
        scene.date = scene.date or _date(rng)
    scene.rating100 = between(rng, 1, 100) if rng.random() < 0.7 else None
    scene.organized = rng.random() < 0.4
    if rng.random() < 0.12:
        chosen = rng.sample(range(1, len(lib.groups) + 1), between(rng, 1, 2))
        scene.groups = [(gid, _scene_index(rng)) for gid in chosen]
    if rng.random() < 0.3:
        scene.urls = [f"https://example.com/scenes/{scene.id}"]


def _scene_index(rng: random.Random) -> int | None:
    return between(rng, 1, 20) if rng.random() < 0.75 else None


def _date(rng: random.Random) -> str:
    day = datetime(1995, 1, 1, tzinfo=timezone.utc) + timedelta(days=between(rng, 0, 11_000))
    roll = rng.random()
    if roll < 0.7:
        return day.strftime("%Y-%m-%d")
    return day.strftime("%Y-%m") if roll < 0.85 else day.strftime("%Y")
