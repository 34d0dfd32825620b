"""A running world for the Plex step: both emulators, a real StashGateway and PlexClient.

`SyncWorld.run(ids, batch=…)` builds the production step (`worker.services.default_plex_step`) as
one worker run would and feeds it batches of scenes fetched from the Stash emulator, exactly
as the worker does; the Plex emulator's request log is cleared first, so `run.plex` holds
the requests of that run only, by route label.
"""

from __future__ import annotations

import io
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from base.status import SceneStatus
from sandbox.generator import GeneratedLibrary, GeneratorOptions, generate
from sandbox.plex_emu import PlexEmulator
from sandbox.stash_emu import StashEmulator
from stash.client import StashGateway
from stash.log import StashLog
from sync_queue.sync_state import SyncStateStore
from validation.config import Stash2PlexConfig
from worker.outcomes import Outcome
from worker.services import default_plex_step
from worker.step import StepContext

FETCH = "GET /library/metadata/{keys}"
LISTING = "GET /library/sections/{id}/all"
SECTIONS = "GET /library/sections"
EDIT = "PUT /library/sections/{id}/all"
POSTER = "POST /library/metadata/{rk}/posters"
ART = "POST /library/metadata/{rk}/arts"
SCAN = "GET /library/sections/{id}/refresh"
POSTERS_GET = "GET /library/metadata/{rk}/posters"  # issue 15: an upload checked as applied
ARTS_GET = "GET /library/metadata/{rk}/arts"


@dataclass
class Run:
    """One worker run's outcomes and the Plex requests it made (by route label)."""

    outcomes: dict[int, Outcome]
    plex: Counter[str]
    stash: Counter[str]
    counts: dict[str, int]
    batch_keys: list[int] = field(default_factory=list)  # Plex items per batch

    def kinds(self) -> Counter[SceneStatus]:
        return Counter(o.status for o in self.outcomes.values())

    def of(self, status: SceneStatus) -> set[int]:
        return {sid for sid, o in self.outcomes.items() if o.status is status}


class SyncWorld:
    """Both emulators over one generated library, and the plugin's data folder."""

    def __init__(self, generated: GeneratedLibrary, data_dir: Path) -> None:
        self.generated = generated
        self.truth = generated.truth
        self.plex = PlexEmulator(library=generated.plex).start()
        self.stash = StashEmulator(
            library=generated.stash, tz_offset=generated.options.tz_offset
        ).start()
        self.gateway = StashGateway.from_server_connection(self.stash.connection())
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.sync_state = SyncStateStore(data_dir)
        self.log_stream = io.BytesIO()
        self.log = StashLog(self.log_stream)
        self.settings: dict[str, Any] = {}

    def config(self, **overrides: Any) -> Stash2PlexConfig:
        values: dict[str, Any] = {
            "plex_url": self.plex.url,
            "plex_token": self.plex.token,
            "path_map": self.truth.path_map,
            # The scene step's request counts are under test here; the collection pass
            # (issue 19) has its own tests (tests/sync/test_collections.py).
            "skip_collection_details": True,
        }
        values.update(self.settings)
        values.update(overrides)
        return Stash2PlexConfig(**values)

    def context(self, clock: Callable[[], float] | None = None, **overrides: Any) -> StepContext:
        kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
        return StepContext(
            config=self.config(**overrides),
            log=self.log,
            data_dir=self.data_dir,
            sync_state=self.sync_state,
            stash=self.gateway,
            **kwargs,
        )

    def scene_ids(self) -> list[int]:
        return sorted(self.truth.scenes)

    def run(
        self,
        ids: Iterable[int] | None = None,
        *,
        batch: int = 100,
        clock: Callable[[], float] | None = None,
        **overrides: Any,
    ) -> Run:
        """One worker run over `ids` (default: every scene) in batches of `batch`."""
        ctx = self.context(clock, **overrides)
        step = default_plex_step(ctx)
        self.plex.log.clear()
        self.stash.log.clear()
        outcomes: dict[int, Outcome] = {}
        batch_keys: list[int] = []
        wanted = list(self.scene_ids() if ids is None else ids)
        try:
            for start in range(0, len(wanted), batch):
                chunk = wanted[start : start + batch]
                scenes = self.gateway.scenes_by_ids(chunk)
                before = self.plex.log.count(FETCH)
                outcomes.update(step.process([scenes[s] for s in chunk if s in scenes], ctx))
                if self.plex.log.count(FETCH) > before:
                    batch_keys.append(self._keys_fetched(before))
        finally:
            step.close()
        return Run(
            outcomes, self.plex.log.counts(), self.stash.log.counts(), dict(step.counts), batch_keys
        )

    def _keys_fetched(self, skip: int) -> int:
        records = [r for r in self.plex.log.records if r.route == FETCH][skip:]
        return sum(len(r.path.rsplit("/", 1)[1].split(",")) for r in records)

    def item(self, rating_key: int) -> Any:
        return self.plex.item(rating_key)

    def items_of(self, scene_id: int) -> list[Any]:
        return [self.plex.item(rk) for _, rk in self.truth.scenes[scene_id].targets]

    def close(self) -> None:
        self.sync_state.close()
        self.gateway.close()
        self.stash.stop()
        self.plex.stop()


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[..., SyncWorld]]:
    """`make_world(scenes=…, **GeneratorOptions fields)` → a started `SyncWorld`."""
    worlds: list[SyncWorld] = []
    counter = itertools.count()

    def make(options: GeneratorOptions | None = None, **fields: Any) -> SyncWorld:
        opts = options or GeneratorOptions(**fields)
        world = SyncWorld(generate(opts), tmp_path / f"data{next(counter)}")
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.close()
