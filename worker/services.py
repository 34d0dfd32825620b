"""The worker's replaceable parts: Plex step, Stash access, clocks, randomness, batch size.

Production uses the defaults. Tests pass their own `WorkerServices` to `plugin.app.run(...,
services=...)` (threaded through `Context.services`): a scripted Plex step, a fake timer
for time slicing, a seeded random source for the jitter. Nothing here is a fake itself.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.stash import connect_stash
from worker.outcomes import RetryPolicy
from worker.step import PlexStep, StepContext, StepFactory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.context import Context

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "WorkerServices",
    "default_plex_step",
]

# Scenes claimed per batch: one Stash request fetches them and Plex items are multi-fetched
# 100 per request, so 200 keeps fetches at about 1 per 100 items while a batch still ends
# within seconds (time slicing and progress act between batches).
DEFAULT_BATCH_SIZE = 200


def default_plex_step(ctx: StepContext) -> PlexStep:
    """The production step (`worker.step_plex`) around the client `plex.opener.open_plex`
    opens. Plex is opened first: that prepares plexapi's environment, which plexapi reads
    once, at import, and `worker.step_plex` imports plexapi."""
    from plex.opener import open_plex

    client = open_plex(ctx.config, ctx.data_dir, log=ctx.log)
    from worker.collection_step import with_collections
    from worker.step_plex import build_plex_step

    return with_collections(build_plex_step(ctx, client), ctx, client)


@dataclass
class WorkerServices:
    """`clock`: wall time for queue times. `timer`: monotonic seconds for the time slice.
    `rand`: uniform [0, 1) for the backoff jitter. `policy`: None = from the settings
    (max_retries) with the default delays. `sleep`: waiting for a finishing worker's lock."""

    step_factory: StepFactory = default_plex_step
    stash_factory: Callable[[Context], Any] = connect_stash
    clock: Callable[[], float] = time.time
    timer: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = field(default_factory=lambda: random.Random().random)
    sleep: Callable[[float], None] = time.sleep
    batch_size: int = DEFAULT_BATCH_SIZE
    policy: RetryPolicy | None = None
