"""The seam between the worker and the Plex side: the `PlexStep` protocol, what a step may
use (`StepContext`), and the production factory.

The worker hands each claimed batch of scenes (fetched from Stash, current state) to
`PlexStep.process` and gets one `Outcome` per scene back; it owns everything queue-side.
The real step (match → diff → one edit per changed item → images) is
`worker.step_plex.PlexSyncStep`, built by `worker.step_plex.build_plex_step` (docs/writer.md)
through `WorkerServices`' default factory. Tests inject scripted steps through
`WorkerServices.step_factory`.

Contract of a step:
- `process(scenes, ctx)`: `scenes` are Stash scene dicts (stash.fields selection, ids as
  strings) of the current batch, in claim order; return `{int scene id: Outcome}`. Raise
  nothing for a single scene's trouble (return its outcome; `Outcome.from_error` maps an
  exception). When Plex becomes unreachable mid-batch, return `blocked` for the scene that
  hit it and leave the not-yet-processed scenes out: the worker releases them untouched.
  A scene missing from the result of a batch without `blocked` is retried as a step bug.
- `health_check()`: one cheap request proving Plex answers with this token; raise
  `PlexServerDown` / `PlexAuthError` otherwise. Called only while the circuit is open.
- `requests_made`: Plex requests sent so far (for the run summary).
- `close()`: release connections; called once at the end of the run, also after errors.
A step is the one writer of sync states: it stores the batch's new `SceneSyncState`s through
`ctx.sync_state` (one transaction) before returning, so they are remembered before the
worker marks the jobs done. It also owns the run's outage streak (`worker.outcomes.
OutageStreak`): the worker only reacts to the blocks it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from stash.log import StashLog
from sync_queue.jobs import Job
from sync_queue.sync_state import SyncStateStore
from validation.config import Stash2PlexConfig
from worker.outcomes import Outcome

__all__ = [
    "PlexStep",
    "SceneSource",
    "StepContext",
    "StepFactory",
]


class SceneSource(Protocol):
    """Stash as the worker and the step see it (`stash.client.StashGateway` satisfies it)."""

    def scenes_by_ids(
        self, ids: Any, fragment: str | None = None, chunk_size: int = 500
    ) -> dict[int, dict[str, Any]]: ...

    def fetch_image(self, url: str, max_bytes: int = ...) -> bytes: ...


@dataclass(frozen=True)
class StepContext:
    """What a step may use during one worker run. `jobs` is the current batch's claims
    (attempts and waits so far, e.g. to scan a folder only on the first wait)."""

    config: Stash2PlexConfig
    log: StashLog
    data_dir: Path
    sync_state: SyncStateStore
    stash: SceneSource
    clock: Callable[[], float] = time.time
    jobs: Mapping[int, Job] = field(default_factory=dict)


class PlexStep(Protocol):
    requests_made: int

    def health_check(self) -> None: ...

    def process(self, scenes: list[dict[str, Any]], ctx: StepContext) -> dict[int, Outcome]: ...

    def close(self) -> None: ...


# Builds the run's step once, before the first batch (may connect to Plex).
StepFactory = Callable[[StepContext], PlexStep]
