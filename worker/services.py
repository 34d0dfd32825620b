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

from worker.outcomes import RetryPolicy
from worker.plex_step import StepFactory, default_plex_step

TYPE_CHECKING = False
if TYPE_CHECKING:
    from plugin.context import Context

__all__ = ["DEFAULT_BATCH_SIZE", "CountingStash", "WorkerServices", "connect_stash"]

# Scenes claimed per batch: one Stash request fetches them and Plex items are multi-fetched
# 100 per request, so 200 keeps fetches at about 1 per 100 items while a batch still ends
# within seconds (time slicing and progress act between batches).
DEFAULT_BATCH_SIZE = 200
STASH_TIMEOUT_S = 30.0


class CountingStash:
    """A `StashGateway` that counts the HTTP responses it receives after connecting
    (`request_count`, for the run summary); every other attribute is the gateway's."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self.request_count = 0
        gateway.interface.s.hooks.setdefault("response", []).append(self._count)

    def _count(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self.request_count += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)


def connect_stash(ctx: Context) -> CountingStash:
    """The task path's Stash gateway (stashapi-based; three requests to connect)."""
    from stash.client import StashGateway

    gateway = StashGateway.from_server_connection(
        ctx.invocation.server_connection, timeout=STASH_TIMEOUT_S, logger=ctx.log
    )
    for secret in gateway.endpoint.secrets():
        ctx.log.add_secret(secret)
    return CountingStash(gateway)


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
