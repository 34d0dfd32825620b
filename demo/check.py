"""Checks that every matchable Plex item carries its Stash scene's metadata (demo and tests).

The expectation is the generator's own SPEC §2.5 mapping (`sandbox.generator.desired_item`),
written independently of the plugin's `build_desired`, so a defect in either shows up here.
Compared: every field the scene has a value for (text exactly, ratings to one decimal), tag
lists as case-insensitive sets, the locks of those fields, and the cover as the selected
poster and background (`upload://posters/<sha1>`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sandbox.generator import GeneratedLibrary, desired_item
from sandbox.model import PlexItem, PlexLibrary

__all__ = ["ItemCheck", "check_library", "item_problems", "matchable_scenes", "problem_scenes"]


@dataclass
class ItemCheck:
    """Result of `check_library`: items compared and every difference found."""

    scenes: int = 0
    items: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def matchable_scenes(generated: GeneratedLibrary) -> list[int]:
    """Scenes the plugin must write: a Plex target and metadata worth pushing."""
    truth = generated.truth
    return sorted(
        sid for sid, t in truth.scenes.items() if t.targets and sid not in truth.no_metadata
    )


def problem_scenes(problems: Iterable[str]) -> set[int]:
    """Scene ids named by `check_library`'s problems (each starts "scene <id>")."""
    return {int(p.split()[1]) for p in problems if p.startswith("scene ")}


def _same(name: str, have: object, want: object) -> bool:
    if name == "user_rating":
        return have is not None and round(float(have), 1) == round(float(want), 1)  # type: ignore[arg-type]
    if isinstance(have, str) and isinstance(want, str):
        # A cut at 10,000 characters may leave a trailing space that the plugin trims.
        return have.strip() == want.strip()
    return have == want


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}... ({len(text)} chars)"


def item_problems(
    item: PlexItem, generated: GeneratedLibrary, scene_id: int, *, images: bool = True
) -> list[str]:
    """How `item` differs from what scene `scene_id` should have put there."""
    scene = generated.stash.scenes[scene_id]
    want = desired_item(scene, generated.stash)
    where = f"scene {scene_id} -> item {item.rating_key}"
    problems = [
        f"{where}: {name} is {_short(getattr(item, name))}, expected {_short(value)}"
        for name, value in want.fields.items()
        if not _same(name, getattr(item, name), value)
    ]
    for kind, names in want.tags.items():
        have = {n.casefold() for n in item.tags.get(kind, [])}
        wanted = {n.casefold() for n in names}
        if have != wanted:
            missing, extra = sorted(wanted - have)[:3], sorted(have - wanted)[:3]
            problems.append(f"{where}: {kind} differs (missing {missing}, unexpected {extra})")
    unlocked = sorted(want.locks - item.locked)
    if unlocked:
        problems.append(f"{where}: not locked: {unlocked}")
    if images and scene.cover is not None:
        sha1 = hashlib.sha1(scene.cover).hexdigest()
        if item.selected_poster != f"upload://posters/{sha1}":
            problems.append(f"{where}: poster is {item.selected_poster!r}, not the cover")
        if item.selected_art != f"upload://arts/{sha1}":
            problems.append(f"{where}: background is {item.selected_art!r}, not the cover")
    return problems


def check_library(
    generated: GeneratedLibrary, plex: PlexLibrary, *, images: bool = True
) -> ItemCheck:
    """Every matchable scene's every target item against the scene (see module docstring)."""
    result = ItemCheck()
    for scene_id in matchable_scenes(generated):
        result.scenes += 1
        for _, rating_key in generated.truth.scenes[scene_id].targets:
            result.items += 1
            item = plex.items.get(rating_key)
            if item is None:
                result.problems.append(f"scene {scene_id}: item {rating_key} missing from Plex")
                continue
            result.problems += item_problems(item, generated, scene_id, images=images)
    return result
