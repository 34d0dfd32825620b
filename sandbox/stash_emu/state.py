"""Everything the resolvers of one emulated Stash share, and the per-request context.

`State` bundles the library with the emulator's own bookkeeping (side fields, folder ids,
time format, jobs, auth, hook log); `RequestContext` adds what depends on the HTTP request
(base URL from the Host header, the caller's session) and is graphql-core's context value.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.model import StashLibrary
from sandbox.stash_emu.auth import AuthState, HookChain, Session
from sandbox.stash_emu.jobs import JobManager
from sandbox.stash_emu.releases import LATEST, Release, release
from sandbox.stash_emu.render import RenderContext
from sandbox.stash_emu.sorting import FindContext
from sandbox.stash_emu.values import Extras, FolderRegistry, TimeFormatter


@dataclass
class HookCall:
    """One hook event Stash would hand to every plugin hooked on `trigger`."""

    trigger: str
    id: int
    input: object
    input_fields: list[str] | None
    error: str | None = None  # the runner raised (Stash logs it; the mutation still succeeds)


@dataclass
class State:
    library: StashLibrary
    clock: Callable[[], datetime]
    fmt: TimeFormatter
    server_fmt: TimeFormatter
    jobs: JobManager
    auth: AuthState
    chain: HookChain
    version: str
    mode: Release = field(default_factory=lambda: release(LATEST))  # the release mode
    build_hash: str = "e5c8d6f0a"
    build_time: str = "2025-12-31 12:00:00"
    extras: Extras = field(default_factory=Extras)
    folders: FolderRegistry = field(default_factory=FolderRegistry)
    shuffle_input_fields: bool = True  # Stash builds inputFields from a Go map: random order
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    hook_log: list[HookCall] = field(default_factory=list)
    hook_lock: threading.Lock = field(default_factory=threading.Lock)

    def stamp(self) -> datetime:
        """Now, in the server's offset: what an update writes into `updated_at`."""
        return self.clock().astimezone(self.server_fmt.tz)

    def find_context(self) -> FindContext:
        return FindContext(
            self.library, self.extras, self.fmt.text, self.server_fmt.text, self.clock
        )


@dataclass
class RequestContext:
    state: State
    base_url: str  # scheme://Host of this request
    session: Session | None = None

    def render_context(self) -> RenderContext:
        return RenderContext(
            self.state.library,
            self.state.extras,
            self.state.folders,
            self.state.fmt.text,
            self.base_url,
            self.state.library.api_key,
        )
