"""A spread sample of Stash scenes (id and files only) for the Health Check's matching preview.
Bounded: at most `pages` findScenes requests of `per_page` scenes, spread over the id range.

The first page (ids ascending) tells the scene count; the other pages are picked evenly from
the rest of the range, so the sample covers old and new scenes (different folders, roots and
scans) instead of the first few hundred ids. A library smaller than the sample is read whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from plex.matching import SceneFiles
from stash.protocol import ScenePages

__all__ = ["SAMPLE_FRAGMENT", "Sample", "SceneSource", "page_numbers", "spread_sample"]

SAMPLE_FRAGMENT = "id title files { path size }"
DEFAULT_SIZE = 500
DEFAULT_PAGES = 10


SceneSource = ScenePages  # what this module needs from Stash (StashGateway)


@dataclass
class Sample:
    """Sampled scenes (Stash's form), the library's scene count and the requests spent."""

    scenes: list[SceneFiles] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)  # to name scenes without their paths
    total: int = 0
    requests: int = 0

    @property
    def ids(self) -> list[int]:
        return [s.scene_id for s in self.scenes]


def page_numbers(total: int, per_page: int, pages: int) -> list[int]:
    """1-based page numbers to fetch: all when few, else `pages` spread evenly, first and last
    included."""
    last = max(1, math.ceil(total / per_page))
    if last <= pages:
        return list(range(1, last + 1))
    if pages <= 1:
        return [1]
    spread = (1 + round(i * (last - 1) / (pages - 1)) for i in range(pages))
    return sorted(dict.fromkeys(spread))


def spread_sample(
    source: SceneSource, size: int = DEFAULT_SIZE, pages: int = DEFAULT_PAGES
) -> Sample:
    """At most `size` scenes in at most `pages` requests (see the module docstring)."""
    per_page = max(1, math.ceil(size / max(1, pages)))
    total, first = source.find_scenes_page(1, per_page, fragment=SAMPLE_FRAGMENT)
    sample = Sample(total=total, requests=1)
    seen: set[int] = set()

    def take(scenes: list[dict[str, Any]]) -> None:
        for raw in scenes:
            scene = SceneFiles.from_stash(raw)
            if scene is not None and scene.scene_id not in seen:
                seen.add(scene.scene_id)
                sample.scenes.append(scene)
                title = raw.get("title")
                if isinstance(title, str) and title.strip():
                    sample.titles[scene.scene_id] = title

    take(first)
    for number in page_numbers(total, per_page, pages)[1:]:
        _, scenes = source.find_scenes_page(number, per_page, fragment=SAMPLE_FRAGMENT)
        sample.requests += 1
        take(scenes)
    return sample
