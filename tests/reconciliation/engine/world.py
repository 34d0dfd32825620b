"""A generated library served by both emulators, and the gaps the engine must find in it.

`EngineWorld` is read-only for the engine (it never writes to Plex or Stash), so one world
serves every test of a module; each test brings its own data folder. `expected_gaps` derives
the answer key from the generator's truth (docs/sandbox-generator.md) with the engine's
documented rules (docs/reconciliation.md).
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciliation.engine import GapDetectionEngine
from sandbox.generator import GeneratedLibrary, GeneratorOptions, generate
from sandbox.plex_emu import PlexEmulator
from sandbox.seed import seed_sync_state
from sandbox.stash_emu import StashEmulator
from stash.client import StashGateway
from stash.connection import StashEndpoint
from validation.meaningful import has_meaningful_metadata

GAP_KINDS = ("empty_metadata", "stale_sync", "missing")


class RecordingQueue:
    """The smallest queue object the engine accepts (`add_many`), keeping every call."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def add_many(self, scene_ids: list[int]) -> int:
        self.calls.append(list(scene_ids))
        return len(scene_ids)

    @property
    def ids(self) -> list[int]:
        return [scene_id for call in self.calls for scene_id in call]


@dataclass
class EngineWorld:
    lib: GeneratedLibrary
    plex: PlexEmulator
    stash: StashEmulator
    now: float

    @property
    def truth(self) -> Any:
        return self.lib.truth

    def endpoint(self) -> StashEndpoint:
        return StashEndpoint.from_server_connection(
            {
                "Scheme": "http",
                "Host": "0.0.0.0",
                "Port": self.stash.port,
                "SessionCookie": {"Name": "session", "Value": self.stash.new_session_cookie()},
            }
        )

    def gateway(self) -> StashGateway:
        return StashGateway(self.endpoint())

    def config(self, **overrides: object) -> types.SimpleNamespace:
        values: dict[str, object] = {
            "plex_url": self.plex.url,
            "plex_token": self.plex.token,
            "path_map": self.truth.path_map,
        }
        values.update(overrides)
        return types.SimpleNamespace(**values)

    def seed_sync_state(
        self, data_dir: Path, overrides: dict[int, float] | None = None
    ) -> dict[int, float]:
        """What an earlier sync left: the truth's sync timestamps (plus overrides)."""
        return seed_sync_state(self.lib, data_dir, overrides)

    def engine(
        self, data_dir: Path, queue: Any = None, stash: Any = None, **kwargs: Any
    ) -> GapDetectionEngine:
        config = kwargs.pop("config", None) or self.config()
        kwargs.setdefault("clock", lambda: self.now)
        kwargs.setdefault("keep_gaps", 10**9)
        return GapDetectionEngine(stash or self.gateway(), config, data_dir, queue, **kwargs)

    def stop(self) -> None:
        self.plex.stop()
        self.stash.stop()


def start_world(options: GeneratorOptions) -> EngineWorld:
    lib = generate(options)
    now = lib.options.now.timestamp()
    plex = PlexEmulator(library=lib.plex, clock=lambda: now + 3600).start()
    stash = StashEmulator(library=lib.stash, tz_offset=lib.options.tz_offset).start()
    return EngineWorld(lib, plex, stash, now)


def _only_bare_year(lib: GeneratedLibrary, scene_id: int) -> bool:
    """Engine rule: a scene whose only metadata is a bare-year date, with every item carrying
    that year, is complete in Plex (the year is all such a scene pushes)."""
    scene = lib.stash.scenes[scene_id]
    if not isinstance(scene.date, str) or not re.fullmatch(r"\d{4}", scene.date):
        return False
    others = {
        "studio": scene.studio_id,
        "performers": scene.performer_ids,
        "tags": scene.tag_ids,
        "details": scene.details,
    }
    if has_meaningful_metadata(others):
        return False
    targets = lib.truth.scenes[scene_id].targets
    return all(lib.plex.items[rk].year == int(scene.date) for _, rk in targets)


def expected_gaps(lib: GeneratedLibrary, scenes: set[int] | None = None) -> dict[str, set[int]]:
    """Scene ids per gap type for a run with the truth's sync state seeded.

    empty_metadata: never-synced empty items of scenes that have metadata, plus wiped items;
    stale_sync: stale items; missing: files Plex has not scanned and files outside every
    section (no-file scenes have no path: skipped; ambiguous ones are in Plex: not missing).
    `scenes` is a scoped run's scene set: there the basename fallback is off, so a
    basename-only scene is no longer judged by its item, and is missing unless synced.
    """
    truth = lib.truth
    empty = (truth.plex_empty - truth.no_metadata) | truth.wiped
    empty = {sid for sid in empty if not _only_bare_year(lib, sid)}
    missing = truth.not_scanned | truth.outside_sections
    if scenes is not None:
        empty -= truth.basename
        missing |= truth.basename - set(truth.sync_timestamps)
    gaps = {"empty_metadata": empty, "stale_sync": set(truth.stale), "missing": missing}
    if scenes is not None:
        gaps = {kind: ids & scenes for kind, ids in gaps.items()}
    return gaps


def found_gaps(result: Any) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {kind: set() for kind in GAP_KINDS}
    for gap in result.gaps:
        found[gap.gap_type].add(gap.scene_id)
    return found


def expected_queue(lib: GeneratedLibrary, gaps: dict[str, set[int]]) -> set[int]:
    """Scenes a run queues: every gap scene that has metadata to push."""
    return set().union(*gaps.values()) - lib.truth.no_metadata
